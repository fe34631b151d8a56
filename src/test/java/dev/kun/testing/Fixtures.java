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
