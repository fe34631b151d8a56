package dev.kun.testing;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/** Runs code with stdin, stdout and stderr swapped for buffers, as a shell would see them. */
public record Captured(int code, byte[] stdout, String stderr) {

    public String out() {
        return new String(stdout, StandardCharsets.UTF_8);
    }

    public static Captured run(byte[] stdin, Callable<Integer> body) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        InputStream oldIn = System.in;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setIn(new ByteArrayInputStream(stdin));
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = body.call();
            System.out.flush();
            return new Captured(code, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new RuntimeException(e);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
            System.setIn(oldIn);
        }
    }

    /** {@code kun args...} with empty stdin. */
    public static Captured kun(String... args) {
        return run(new byte[0], () -> dev.kun.Kun.run(args));
    }
}
