package dev.kun.model.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import dev.kun.testing.Fixtures;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * PyTorch .bin checkpoints written by real PyTorch (scripts/make-pytorch-fixtures.py) read the same,
 * tensor by tensor, as the safetensors the same script wrote of the same weights; pickles that would
 * run code, and layouts kun cannot read in place, are refused in one line.
 */
class PyTorchWeightsTest {
    @TempDir Path tmp;

    private static Path fixture(String name) {
        return Fixtures.pytorch(name);
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-f32", "yi-bf16-sharded", "views-f16"})
    void everyTensorEqualsItsSafetensorsTwin(String name) {
        Path dir = fixture(name);
        try (PyTorchWeights bin = PyTorchWeights.open(dir);
                SafetensorsFile reference = SafetensorsFile.open(dir.resolve("reference.safetensors"))) {
            assertEquals(new TreeSet<>(reference.names()), new TreeSet<>(bin.names()));
            for (String t : reference.names()) {
                TensorInfo want = reference.info(t);
                TensorInfo got = bin.info(t);
                assertEquals(want.dtype(), got.dtype(), t);
                assertArrayEquals(want.shape(), got.shape(), t);
                if (TensorFile.elementBytes(want.dtype()) < 0) continue; // an integer buffer the model never reads
                for (DataType target : new DataType[] {DataType.FLOAT32, DataType.FLOAT16}) {
                    assertArrayEquals(bytes(reference.read(t, target)), bytes(bin.read(t, target)), t + " as " + target);
                }
                // Row reads, through a reader of its own, start at the tensor's place in its storage.
                long rows = got.shape()[0];
                int width = got.shape().length == 1 ? 1 : (int) (got.elementCount() / rows);
                ByteBuffer tail = ByteBuffer.allocateDirect(width * 4).order(ByteOrder.LITTLE_ENDIAN);
                try (WeightSource.RowReader r = bin.rowReader(t)) {
                    r.readRows(DataType.FLOAT32, rows - 1, 1, tail);
                }
                ByteBuffer all = reference.read(t, DataType.FLOAT32);
                all.position((int) ((rows - 1) * width * 4));
                assertArrayEquals(bytes(all), bytes(tail.flip()), t + " last row");
            }
        }
    }

    @Test
    void viewsIntoOneStorageKeepTheirOffsets() {
        try (PyTorchWeights bin = PyTorchWeights.open(fixture("views-f16"))) {
            // q, k and v are rows of one fused matrix; the head is the embedding's storage.
            assertEquals(Set.of("F16", "F32", "I64"), bin.storedDtypes());
            float[] k = floats(bin.read("model.layers.1.self_attn.k_proj.weight", DataType.FLOAT32));
            float[] q = floats(bin.read("model.layers.1.self_attn.q_proj.weight", DataType.FLOAT32));
            assertEquals(8 * 16, k.length);
            assertFalse(java.util.Arrays.equals(java.util.Arrays.copyOf(q, k.length), k));
            assertArrayEquals(floats(bin.read("model.embed_tokens.weight", DataType.FLOAT32)),
                    floats(bin.read("lm_head.weight", DataType.FLOAT32)));
        }
    }

    private static float[] floats(ByteBuffer b) {
        float[] f = new float[b.remaining() / 4];
        b.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
        return f;
    }

    private static String refused(String file) {
        Path p = fixture("refused").resolve(file);
        KunException e = assertThrows(KunException.class, () -> PyTorchFile.open(p));
        assertEquals(ExitCodes.BACKEND, e.exitCode());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
        return e.getMessage();
    }

    private static final String NO_CODE = " (kun reads PyTorch weights without running pickle code;"
            + " convert the checkpoint to safetensors if you trust it)";

    @Test
    void aPickleThatWouldRunCodeIsRefusedNamingTheGlobal() {
        Path marker = Path.of("/tmp/kun-pickle-ran");
        assertEquals("refusing to load " + fixture("refused").resolve("system.bin")
                + ": its pickle calls posix.system, which a state dict does not need" + NO_CODE, refused("system.bin"));
        // Protocol 4 names globals with STACK_GLOBAL; the same check applies.
        assertEquals("refusing to load " + fixture("refused").resolve("eval-protocol4.bin")
                + ": its pickle calls builtins.eval, which a state dict does not need" + NO_CODE, refused("eval-protocol4.bin"));
        assertFalse(Files.exists(marker), "nothing ran");
    }

    @Test
    void otherLayoutsAreRefusedInOneLine() {
        assertTrue(refused("list.bin").endsWith(": its pickle holds a list, not a state dict (a dict of tensors)" + NO_CODE));
        assertTrue(refused("transposed.bin").startsWith("tensor w in "));
        assertTrue(refused("transposed.bin").endsWith(" is not contiguous (shape [4, 3], strides [1, 4]);"
                + " kun reads row-major tensors only: re-save the state dict with every tensor .contiguous()"));
        assertTrue(refused("legacy.bin").endsWith(" is in PyTorch's legacy format (before PyTorch 1.6, or saved with"
                + " _use_new_zipfile_serialization=False), which kun does not read; re-save it with torch.save from PyTorch"
                + " 1.6 or later, or convert it to safetensors"));
    }

    @Test
    void aCutFileIsNamed() throws Exception {
        byte[] all = Files.readAllBytes(fixture("llama-f32").resolve("pytorch_model.bin"));
        Path cut = tmp.resolve("pytorch_model.bin");
        Files.write(cut, java.util.Arrays.copyOf(all, all.length / 2));
        KunException e = assertThrows(KunException.class, () -> PyTorchFile.open(cut));
        assertEquals("corrupt PyTorch checkpoint " + cut + ": no end of central directory (cut short?)", e.getMessage());
        Files.write(cut, "not a zip".getBytes());
        assertEquals(cut + " is not a PyTorch checkpoint (no zip archive)",
                assertThrows(KunException.class, () -> PyTorchFile.open(cut)).getMessage());
    }

    @Test
    void anIntegerBufferIsReadOnlyIfAsked() {
        try (PyTorchWeights bin = PyTorchWeights.open(fixture("views-f16"))) {
            KunException e = assertThrows(KunException.class, () -> bin.read("model.position_ids", DataType.FLOAT32));
            assertTrue(e.getMessage().endsWith("has dtype I64 (supported: F32, F16, BF16)"), e.getMessage());
        }
    }

    /**
     * The llama-f32 fixture rewritten as a ZIP64 archive, as PyTorch writes shards above 4 GB: every
     * size and offset in the central directory is 0xFFFFFFFF with its value in the ZIP64 extra field, the
     * local headers carry ZIP64 sizes of their own, and the end records are ZIP64's. Java's own zip reader
     * accepts the file (so it is a well-formed archive); the tensors must read as from the original.
     */
    @Test
    void aZip64ArchiveReadsAsTheOriginal() throws Exception {
        Path original = fixture("llama-f32").resolve("pytorch_model.bin");
        java.util.List<String> names = new java.util.ArrayList<>();
        java.util.List<byte[]> contents = new java.util.ArrayList<>();
        try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(original.toFile())) {
            for (var e : java.util.Collections.list(z.entries())) {
                names.add(e.getName());
                contents.add(z.getInputStream(e).readAllBytes());
            }
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        long[] offsets = new long[names.size()];
        long[] crcs = new long[names.size()];
        for (int i = 0; i < names.size(); i++) {
            byte[] name = names.get(i).getBytes(java.nio.charset.StandardCharsets.UTF_8);
            java.util.zip.CRC32 crc = new java.util.zip.CRC32();
            crc.update(contents.get(i));
            crcs[i] = crc.getValue();
            offsets[i] = out.size();
            ByteBuffer h = le(30 + name.length + 20 + 7);
            h.putInt(0x04034b50).putShort((short) 45).putShort((short) 0).putShort((short) 0).putInt(0)
                    .putInt((int) crcs[i]).putInt(-1).putInt(-1).putShort((short) name.length).putShort((short) (20 + 7))
                    .put(name).putShort((short) 1).putShort((short) 16).putLong(contents.get(i).length)
                    .putLong(contents.get(i).length)
                    .putShort((short) 0x4646).putShort((short) 3).put(new byte[3]); // padding, as PyTorch aligns data
            out.write(h.array());
            out.write(contents.get(i));
        }
        long directory = out.size();
        for (int i = 0; i < names.size(); i++) {
            byte[] name = names.get(i).getBytes(java.nio.charset.StandardCharsets.UTF_8);
            ByteBuffer c = le(46 + name.length + 28);
            c.putInt(0x02014b50).putShort((short) 45).putShort((short) 45).putShort((short) 0).putShort((short) 0).putInt(0)
                    .putInt((int) crcs[i]).putInt(-1).putInt(-1).putShort((short) name.length).putShort((short) 28)
                    .putShort((short) 0).putShort((short) 0).putShort((short) 0).putInt(0).putInt(-1)
                    .put(name).putShort((short) 1).putShort((short) 24).putLong(contents.get(i).length)
                    .putLong(contents.get(i).length).putLong(offsets[i]);
            out.write(c.array());
        }
        long directorySize = out.size() - directory;
        long end64 = out.size();
        ByteBuffer e = le(56 + 20 + 22);
        e.putInt(0x06064b50).putLong(44).putShort((short) 45).putShort((short) 45).putInt(0).putInt(0)
                .putLong(names.size()).putLong(names.size()).putLong(directorySize).putLong(directory);
        e.putInt(0x07064b50).putInt(0).putLong(end64).putInt(1);
        e.putInt(0x06054b50).putShort((short) 0).putShort((short) 0).putShort((short) -1).putShort((short) -1)
                .putInt(-1).putInt(-1).putShort((short) 0);
        out.write(e.array());
        Path zip64 = tmp.resolve("pytorch_model.bin");
        Files.write(zip64, out.toByteArray());
        try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(zip64.toFile())) {
            assertEquals(names.size(), z.size());
        }
        try (PyTorchFile a = PyTorchFile.open(original); PyTorchFile b = PyTorchFile.open(zip64)) {
            assertEquals(a.names(), b.names());
            for (String t : a.names()) assertArrayEquals(bytes(a.read(t, DataType.FLOAT32)), bytes(b.read(t, DataType.FLOAT32)), t);
        }
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }
}
