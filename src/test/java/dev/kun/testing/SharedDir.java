package dev.kun.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Assumptions;

/**
 * The team's shared folder (data/, kun-reference/): ../shared beside the project root; from a git
 * worktree elsewhere, -Dkun.shared.dir=DIR or -Dkun.shared.data=DIR/data.
 */
public final class SharedDir {
    private SharedDir() {}

    public static Path dir() {
        String dir = System.getProperty("kun.shared.dir");
        if (dir != null) {
            return Paths.get(dir);
        }
        String data = System.getProperty("kun.shared.data");
        if (data != null) {
            return Paths.get(data).toAbsolutePath().getParent();
        }
        return Paths.get("").toAbsolutePath().resolve("../shared");
    }

    /** The file under the shared folder, or a skipped test when it is absent. */
    public static Path require(String relative) {
        Path p = dir().resolve(relative);
        Assumptions.assumeTrue(Files.isRegularFile(p), () -> p + " absent: skipped");
        return p;
    }
}
