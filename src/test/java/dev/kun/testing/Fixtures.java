package dev.kun.testing;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/** Committed test files under src/test/resources, by what they are; each names the script that made it. */
public final class Fixtures {
    private Fixtures() {}

    /** A PyTorch checkpoint folder written by scripts/make-pytorch-fixtures.py. */
    public static Path pytorch(String name) {
        return resource("/dev/kun/model/checkpoint/pytorch/" + name);
    }

    /**
     * The shared real test data (../shared/data beside the clone, as CI has it, or /work/shared/data),
     * when present; it is never committed.
     */
    public static java.util.Optional<Path> sharedData() {
        for (Path p : new Path[] {Path.of("..", "shared", "data"), Path.of("/work/shared/data")}) {
            if (java.nio.file.Files.isRegularFile(p.resolve("corpus-cmrc2018.jsonl"))) return java.util.Optional.of(p);
        }
        return java.util.Optional.empty();
    }

    /** A file or folder on the test class path. */
    public static Path resource(String path) {
        URL url = Fixtures.class.getResource(path);
        if (url == null) throw new IllegalArgumentException("no test resource " + path);
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
