package dev.kun.run;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * The run's one ledger, {@code W/rejects.jsonl}: every stage's rejects (the record, {@code stage},
 * {@code reason}, {@code source}, and what the stage added: a model's raw text, a backend error), in
 * stage order. Each stage's runner writes and resumes its own rejects file; the ledger is their
 * concatenation, rebuilt whenever a stage completes, so it only ever holds finished stages' rejects.
 */
final class Ledger {
    private Ledger() {}

    /**
     * Replaces {@code ledger} with the concatenation of those of {@code parts} that exist; returns its
     * number of records. A crash midway leaves the previous ledger (temp file, then rename).
     */
    static long rebuild(Path ledger, List<Path> parts) throws IOException {
        Path tmp = ledger.resolveSibling(ledger.getFileName() + ".tmp");
        long lines = 0;
        byte[] buffer = new byte[1 << 16];
        try (OutputStream out = Files.newOutputStream(tmp)) {
            for (Path part : parts) {
                if (!Files.exists(part)) continue;
                try (InputStream in = Files.newInputStream(part)) {
                    int n;
                    while ((n = in.read(buffer)) > 0) {
                        out.write(buffer, 0, n);
                        for (int i = 0; i < n; i++) {
                            if (buffer[i] == '\n') lines++;
                        }
                    }
                }
            }
        }
        Files.move(tmp, ledger, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return lines;
    }
}
