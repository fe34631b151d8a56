package dev.kun.scripts;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/jvm-options.sh, which scripts/kun and the engine benchmark source: the native-heap trim flag
 * only for JDKs that have it (a JVM refuses to start with an unknown -XX option), read from the
 * release file beside the {@code java} on the PATH.
 */
class JvmOptionsScriptTest {
    @TempDir
    Path tmp;

    private String optionsFor(String javaVersion) throws IOException, InterruptedException {
        Path jdk = Files.createDirectories(tmp.resolve("jdk-" + (javaVersion == null ? "none" : javaVersion)));
        Path bin = Files.createDirectories(jdk.resolve("bin"));
        Path java = bin.resolve("java");
        Files.writeString(java, "#!/bin/sh\nexit 0\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        if (javaVersion != null) {
            Files.writeString(jdk.resolve("release"), "IMPLEMENTOR=\"Test\"\nJAVA_VERSION=\"" + javaVersion + "\"\nOS_NAME=\"Linux\"\n");
        }
        Path script = Path.of("scripts/jvm-options.sh").toAbsolutePath();
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", "source \"$0\"; printf '%s' \"$KUN_JVM_MEMORY_OPTS\"", script.toString());
        pb.environment().put("PATH", bin + ":/usr/bin:/bin");
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    @Test
    void theTrimFlagOnlyForJdksThatHaveIt() throws Exception {
        String with = "-Xms16m -Xmn8m -XX:TrimNativeHeapInterval=5000";
        String without = "-Xms16m -Xmn8m";
        assertEquals(without, optionsFor("17.0.8"));
        assertEquals(with, optionsFor("17.0.9"));
        assertEquals(with, optionsFor("17.0.15"));
        assertEquals(without, optionsFor("11.0.25"));
        assertEquals(without, optionsFor("20.0.2"));
        assertEquals(without, optionsFor("21"));
        assertEquals(with, optionsFor("21.0.1"));
        assertEquals(with, optionsFor("22"));
        assertEquals(with, optionsFor("25.0.1"));
        assertEquals(without, optionsFor(null));
    }
}
