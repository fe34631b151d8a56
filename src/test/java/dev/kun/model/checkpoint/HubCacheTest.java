package dev.kun.model.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import dev.kun.model.Checkpoint;
import dev.kun.testing.TinyCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HubCacheTest {
    @TempDir Path tmp;

    static final String MAIN = "0123456789abcdef0123456789abcdef01234567";
    static final String OLD = "fedcba9876543210fedcba9876543210fedcba98";

    /**
     * Lays {@code checkpoint}'s files out as huggingface-cli does: each file's bytes in blobs/ under a
     * name of their own, and snapshots/COMMIT/FILE a relative symbolic link to it.
     */
    static void download(Path cache, String repo, String commit, Path checkpoint) throws IOException {
        Path dir = cache.resolve("models--" + repo.replace("/", "--"));
        Path snap = Files.createDirectories(dir.resolve("snapshots").resolve(commit));
        Path blobs = Files.createDirectories(dir.resolve("blobs"));
        try (Stream<Path> files = Files.list(checkpoint)) {
            for (Path f : files.toList()) {
                Path blob = blobs.resolve(commit.substring(0, 8) + "-" + f.getFileName().toString().hashCode());
                Files.copy(f, blob);
                Files.createSymbolicLink(snap.resolve(f.getFileName()), Path.of("../../blobs").resolve(blob.getFileName()));
            }
        }
    }

    static void ref(Path cache, String repo, String name, String commit) throws IOException {
        Path ref = cache.resolve("models--" + repo.replace("/", "--")).resolve("refs").resolve(name);
        Files.createDirectories(ref.getParent());
        Files.writeString(ref, commit); // huggingface_hub writes the hash without a newline
    }

    @Test
    void findsMainsSnapshotAndOpensItThroughTheLinks() throws Exception {
        Path cache = tmp.resolve("hub");
        Path ck = TinyCheckpoint.builder().modelType("Yi").write(tmp.resolve("src"));
        download(cache, "01-ai/Yi-tiny", MAIN, ck);
        ref(cache, "01-ai/Yi-tiny", "main", MAIN);
        Path snap = HubCache.resolve(Path.of("01-ai/Yi-tiny"), Map.of("HF_HUB_CACHE", cache.toString()), tmp);
        assertEquals(cache.resolve("models--01-ai--Yi-tiny/snapshots/" + MAIN), snap);
        assertTrue(Files.isSymbolicLink(snap.resolve("model.safetensors")));
        try (Checkpoint c = Checkpoint.open(snap)) {
            assertEquals(c.config().expectedTensors().keySet(), c.weights().names());
            assertEquals(snap, c.dir());
        }
    }

    @Test
    void aRevisionIsABranchATagOrACommit() throws Exception {
        Path cache = tmp.resolve("home/hub");
        Path ck = TinyCheckpoint.builder().write(tmp.resolve("src"));
        download(cache, "org/m", MAIN, ck);
        download(cache, "org/m", OLD, ck);
        ref(cache, "org/m", "main", MAIN);
        ref(cache, "org/m", "v1.0", OLD);
        Map<String, String> env = Map.of("HF_HOME", tmp.resolve("home").toString());
        Path repo = cache.resolve("models--org--m/snapshots");
        assertEquals(repo.resolve(MAIN), HubCache.resolve(Path.of("org/m"), env, tmp));
        assertEquals(repo.resolve(OLD), HubCache.resolve(Path.of("org/m@v1.0"), env, tmp));
        assertEquals(repo.resolve(OLD), HubCache.resolve(Path.of("org/m@" + OLD), env, tmp));
        KunException e = assertThrows(KunException.class, () -> HubCache.resolve(Path.of("org/m@v2"), env, tmp));
        assertEquals("org/m@v2: revision v2 is not in " + cache.resolve("models--org--m") + " (snapshots: " + MAIN + ", "
                + OLD + "; refs: main, v1.0)", e.getMessage());
    }

    @Test
    void withoutARefTheOnlySnapshotIsTaken() throws Exception {
        Path cache = tmp.resolve(".cache/huggingface/hub");
        download(cache, "gpt2", MAIN, TinyCheckpoint.builder().write(tmp.resolve("src")));
        // The default place under the home directory, and a legacy id without an organisation.
        assertEquals(cache.resolve("models--gpt2/snapshots/" + MAIN), HubCache.resolve(Path.of("gpt2"), Map.of(), tmp));
    }

    @Test
    void aDirectoryWinsOverTheCache() throws Exception {
        Path local = Files.createDirectories(tmp.resolve("org/m"));
        assertEquals(local, HubCache.resolve(local, Map.of("HF_HUB_CACHE", tmp.toString()), tmp));
    }

    @Test
    void aMissingModelSaysWhereItLooked() {
        Map<String, String> env = Map.of("HF_HUB_CACHE", "/a/hub", "HF_HOME", "/b", "XDG_CACHE_HOME", "/c");
        KunException e = assertThrows(KunException.class, () -> HubCache.resolve(Path.of("01-ai/Yi-34B@main"), env, Path.of("/home/u")));
        assertEquals(ExitCodes.BACKEND, e.exitCode());
        assertEquals("model directory not found: 01-ai/Yi-34B@main, and no models--01-ai--Yi-34B in the Hugging Face cache"
                + " (looked in /a/hub, /b/hub, /c/huggingface/hub, /home/u/.cache/huggingface/hub;"
                + " huggingface-cli download 01-ai/Yi-34B --revision main puts it there)", e.getMessage());
        KunException path = assertThrows(KunException.class, () -> HubCache.resolve(Path.of("/no/such/model"), env, Path.of("/h")));
        assertEquals("model directory not found: /no/such/model", path.getMessage());
    }

    @Test
    void aRefToAMissingSnapshotIsNamed() throws Exception {
        Path cache = tmp.resolve("hub");
        Files.createDirectories(cache.resolve("models--org--m/snapshots"));
        ref(cache, "org/m", "main", MAIN);
        KunException e = assertThrows(KunException.class,
                () -> HubCache.resolve(Path.of("org/m"), Map.of("HF_HUB_CACHE", cache.toString()), tmp));
        assertTrue(e.getMessage().startsWith("org/m: " + cache.resolve("models--org--m/refs/main") + " names commit " + MAIN), e.getMessage());
        assertEquals(List.of(cache), HubCache.roots(Map.of("HF_HUB_CACHE", cache.toString(), "HF_HOME", ""), Path.of("/h")).subList(0, 1));
    }
}
