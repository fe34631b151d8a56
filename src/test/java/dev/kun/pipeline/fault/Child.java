package dev.kun.pipeline.fault;

import dev.kun.Kun;
import dev.kun.testing.TestStageCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A kun run in its own JVM, as a user starts it, so it can be killed, raced or starved of disk for real:
 * {@code kun ...} through {@link Kun#main} or {@code kun test-stage ...} through {@link TestStageCommand#main},
 * on the test class path. stderr goes to a file beside the run, for the assertion messages.
 */
final class Child {
    private final Process process;
    private final Path stderr;

    private Child(Process process, Path stderr) {
        this.process = process;
        this.stderr = stderr;
    }

    /** {@code kun args...}; {@code jvm} options first (e.g. -Xint to slow a real stage down enough to kill mid-run). */
    static Child kun(Path stderr, List<String> jvm, List<String> args) throws IOException {
        return start(stderr, jvm, Kun.class.getName(), args);
    }

    /** {@code kun test-stage args...}. */
    static Child testStage(Path stderr, List<String> args) throws IOException {
        return start(stderr, List.of(), TestStageCommand.class.getName(), prepend("test-stage", args));
    }

    private static List<String> prepend(String first, List<String> rest) {
        List<String> all = new ArrayList<>();
        all.add(first);
        all.addAll(rest);
        return all;
    }

    private static Child start(Path stderr, List<String> jvm, String main, List<String> args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Xshare:auto", "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC"));
        command.addAll(jvm);
        command.add(main);
        command.addAll(args);
        Process p = new ProcessBuilder(command)
                .redirectError(stderr.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        return new Child(p, stderr);
    }

    boolean alive() {
        return process.isAlive();
    }

    /** Waits up to {@code seconds}; true when it ended. */
    boolean waitFor(long millis) throws InterruptedException {
        return process.waitFor(millis, TimeUnit.MILLISECONDS);
    }

    /** The exit code, waiting up to a minute. */
    int exitCode() throws InterruptedException {
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("child still running after a minute: " + stderr());
        }
        return process.exitValue();
    }

    /** SIGKILL, as {@code kill -9} sends it; returns once the process is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    String stderr() {
        try {
            return Files.exists(stderr) ? Files.readString(stderr) : "";
        } catch (IOException e) {
            return e.toString();
        }
    }
}
