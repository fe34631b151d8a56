package dev.kun.seed;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Assumptions;

/** The team's shared test folder: ../shared beside the project root, or -Dkun.shared.dir when run elsewhere. */
final class SharedData {
    private SharedData() {}

    static Path dir() {
        String override = System.getProperty("kun.shared.dir");
        return override != null ? Paths.get(override) : Paths.get("").toAbsolutePath().resolve("../shared");
    }

    /** The file under shared/, or a skipped test when it is absent. */
    static Path require(String relative) {
        Path p = dir().resolve(relative);
        Assumptions.assumeTrue(Files.isRegularFile(p), () -> p + " absent: skipped");
        return p;
    }
}
