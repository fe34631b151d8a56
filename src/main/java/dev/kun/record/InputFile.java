package dev.kun.record;

import dev.kun.error.KunException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * One file to read, as the user named it (or as found in a named directory), with the size and
 * modification time a resume checkpoint compares. {@code path} is null for stdin; {@code size} is -1
 * when unknown or unreadable.
 */
public record InputFile(String name, Path path, long size, long modifiedMillis) {

    public static final String STDIN = "-";

    /** Expands directories (every readable record file inside, sorted by name) and keeps order otherwise. */
    public static List<InputFile> resolve(List<String> inputs) {
        return resolve(inputs, List.of());
    }

    /**
     * As {@link #resolve(List)}, leaving out of a directory's files those in {@code own}: the files the run
     * itself writes ({@code -i d -o d/out.jsonl}), which would otherwise become input of its own rerun. A
     * file named as input itself is kept, and the runner refuses it.
     */
    public static List<InputFile> resolve(List<String> inputs, List<Path> own) {
        List<InputFile> files = new ArrayList<>();
        for (String input : inputs.isEmpty() ? List.of(STDIN) : inputs) {
            if (input.equals(STDIN)) {
                files.add(new InputFile("<stdin>", null, -1, 0));
                continue;
            }
            Path path = Path.of(input);
            if (Files.isDirectory(path)) {
                List<Path> inside;
                try (Stream<Path> list = Files.list(path)) {
                    inside = list.filter(p -> Files.isRegularFile(p) && isRecordFile(p) && !isOneOf(p, own)).sorted().toList();
                } catch (IOException e) {
                    throw KunException.badInput(input + ": cannot list directory: " + e.getMessage());
                }
                for (Path p : inside) files.add(of(p.toString(), p));
                // An empty directory stays in the list so reading reports it, like any unreadable input.
                if (inside.isEmpty()) files.add(new InputFile(input, path, -1, 0));
            } else {
                files.add(of(input, path));
            }
        }
        return files;
    }

    private static boolean isOneOf(Path p, List<Path> files) {
        Path abs = p.toAbsolutePath().normalize();
        for (Path f : files) {
            try {
                if (abs.equals(f.toAbsolutePath().normalize()) || (Files.exists(f) && Files.isSameFile(p, f))) return true;
            } catch (IOException e) {
                // Cannot tell: keep it as input, and let reading report whatever is wrong with it.
            }
        }
        return false;
    }

    private static InputFile of(String name, Path path) {
        try {
            BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class);
            return new InputFile(name, path, a.isRegularFile() ? a.size() : -1, a.lastModifiedTime().toMillis());
        } catch (IOException e) {
            return new InputFile(name, path, -1, 0);
        }
    }

    /** Names a directory scan picks up. */
    public static boolean isRecordFile(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".jsonl") || n.endsWith(".jsonl.gz") || n.endsWith(".json") || n.endsWith(".json.gz")
                || n.endsWith(".txt") || n.endsWith(".txt.gz");
    }

    public boolean isStdin() {
        return path == null;
    }

    /** True for stdin, a pipe or a device: input that cannot be read again, so a run over it cannot resume. */
    public boolean isStream() {
        return path == null || (Files.exists(path) && !Files.isRegularFile(path) && !Files.isDirectory(path));
    }

    /** Plain text by name: *.txt or *.txt.gz. */
    public boolean looksLikeText() {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".txt") || n.endsWith(".txt.gz");
    }
}
