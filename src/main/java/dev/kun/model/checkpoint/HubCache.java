package dev.kun.model.checkpoint;

import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Models where {@code huggingface-cli download ORG/NAME} puts them: the Hugging Face hub cache, read
 * offline. A repository lives in {@code models--ORG--NAME/}; {@code refs/main} (or {@code refs/REV})
 * holds the commit whose files are in {@code snapshots/COMMIT/}, as symbolic links into
 * {@code blobs/}. Links are followed like any path, so the snapshot folder is the checkpoint folder.
 *
 * <p>The cache is searched in this order, every folder that is set: {@code $HF_HUB_CACHE},
 * {@code $HUGGINGFACE_HUB_CACHE} (its older name), {@code $HF_HOME/hub},
 * {@code $XDG_CACHE_HOME/huggingface/hub}, {@code ~/.cache/huggingface/hub}.
 */
public final class HubCache {
    /** A repository id with an optional revision: {@code ORG/NAME}, {@code NAME}, {@code ORG/NAME@REV}. */
    private static final Pattern REPO = Pattern.compile("([A-Za-z0-9][\\w.-]*/)?([A-Za-z0-9][\\w.-]*)(@([\\w./-]+))?");

    private HubCache() {}

    /** {@link #resolve(Path, Map, Path)} with this process's environment and home directory. */
    public static Path resolve(Path model) {
        return resolve(model, "model directory");
    }

    /**
     * As {@link #resolve(Path)}; {@code what} names the thing looked for in the message when it is
     * not found ("tokenizer not found: ..."). A file is returned as it is.
     */
    public static Path resolve(Path model, String what) {
        if (Files.isRegularFile(model)) return model;
        return resolve(model, System.getenv(), Path.of(System.getProperty("user.home")), what);
    }

    /**
     * {@code model} itself when it is a directory; otherwise, when it spells a repository id, that
     * repository's snapshot in the cache. Anything else, or a repository that is not in the cache, is
     * a one-line KunException(BACKEND) that says where it looked.
     */
    public static Path resolve(Path model, Map<String, String> env, Path home) {
        return resolve(model, env, home, "model directory");
    }

    private static Path resolve(Path model, Map<String, String> env, Path home, String what) {
        if (Files.isDirectory(model)) return model;
        String spec = model.toString();
        Matcher m = REPO.matcher(spec);
        if (spec.startsWith(".") || !m.matches()) {
            throw new KunException(ExitCodes.BACKEND, what + " not found: " + model);
        }
        String repo = "models--" + (m.group(1) == null ? "" : m.group(1).replace("/", "--")) + m.group(2);
        String revision = m.group(4);
        List<Path> roots = roots(env, home);
        for (Path root : roots) {
            Path dir = root.resolve(repo);
            if (Files.isDirectory(dir)) return snapshot(dir, revision, spec);
        }
        StringBuilder where = new StringBuilder();
        for (Path root : roots) where.append(where.length() == 0 ? "" : ", ").append(root);
        throw new KunException(ExitCodes.BACKEND, what + " not found: " + model + ", and no " + repo
                + " in the Hugging Face cache (looked in " + where + "; huggingface-cli download "
                + spec.replaceFirst("@.*", "") + (revision == null ? "" : " --revision " + revision) + " puts it there)");
    }

    /** Cache folders in search order, each once. */
    static List<Path> roots(Map<String, String> env, Path home) {
        Set<Path> out = new LinkedHashSet<>();
        addIfSet(out, env.get("HF_HUB_CACHE"), null);
        addIfSet(out, env.get("HUGGINGFACE_HUB_CACHE"), null);
        addIfSet(out, env.get("HF_HOME"), "hub");
        addIfSet(out, env.get("XDG_CACHE_HOME"), "huggingface/hub");
        out.add(home.resolve(".cache/huggingface/hub"));
        return new ArrayList<>(out);
    }

    private static void addIfSet(Set<Path> out, String value, String child) {
        if (value == null || value.isBlank()) return;
        Path p = Path.of(value);
        out.add(child == null ? p : p.resolve(child));
    }

    /**
     * The snapshot of {@code revision} (a branch or tag under refs/, or a commit) in the repository
     * folder {@code dir}; without a revision, main's, or the only snapshot there is when refs/main is
     * absent (a download of one commit writes no ref).
     */
    private static Path snapshot(Path dir, String revision, String spec) {
        Path snapshots = dir.resolve("snapshots");
        String rev = revision == null ? "main" : revision;
        Path ref = dir.resolve("refs").resolve(rev);
        if (Files.isRegularFile(ref)) {
            String commit = read(ref).strip();
            Path snap = snapshots.resolve(commit);
            if (Files.isDirectory(snap)) return snap;
            throw new KunException(ExitCodes.BACKEND, spec + ": " + ref + " names commit " + commit + ", but " + snap
                    + " does not exist (an interrupted download? run huggingface-cli download again)");
        }
        if (!rev.contains("/") && Files.isDirectory(snapshots.resolve(rev))) return snapshots.resolve(rev);
        List<String> have = list(snapshots);
        if (revision == null && have.size() == 1) return snapshots.resolve(have.get(0));
        throw new KunException(ExitCodes.BACKEND, spec + ": revision " + rev + " is not in " + dir
                + (have.isEmpty() ? " (no snapshots)" : " (snapshots: " + String.join(", ", have)
                        + "; refs: " + String.join(", ", list(dir.resolve("refs"))) + ")"));
    }

    private static List<String> list(Path dir) {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new KunException(ExitCodes.BACKEND, "cannot read " + file + ": " + CheckpointFiles.oneLine(e), e);
        }
    }
}
