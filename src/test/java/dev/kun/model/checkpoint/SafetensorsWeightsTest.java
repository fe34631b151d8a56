package dev.kun.model.checkpoint;

import dev.kun.model.cpu.HalfPrecision;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import dev.kun.testing.TinyCheckpoint;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SafetensorsWeightsTest {
    @TempDir Path dir;

    private static float[] floats(ByteBuffer b) {
        float[] out = new float[b.remaining() / 4];
        b.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    private static short[] shorts(ByteBuffer b) {
        short[] out = new short[b.remaining() / 2];
        b.order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(out);
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"F32", "F16", "BF16"})
    void readsBackWhatTheWriterWroteInBothTargets(String dtype) {
        TinyCheckpoint ck = TinyCheckpoint.builder().dtype(dtype).gqa(4, 2).build();
        ck.write(dir);
        try (SafetensorsWeights w = SafetensorsWeights.open(dir)) {
            assertEquals(ck.tensors().size(), w.names().size());
            assertEquals(java.util.Set.of(dtype), w.storedDtypes());
            for (TensorInfo t : ck.tensors()) {
                float[] exact = ck.values(t.name());
                assertArrayEquals(t.shape(), w.info(t.name()).shape());
                float[] f32 = floats(w.read(t.name(), DataType.FLOAT32));
                short[] f16 = shorts(w.read(t.name(), DataType.FLOAT16));
                assertEquals(exact.length, f32.length);
                assertEquals(exact.length, f16.length);
                for (int i = 0; i < exact.length; i++) {
                    // The stored value is the exact one rounded once to the checkpoint dtype.
                    float stored = switch (dtype) {
                        case "F16" -> HalfPrecision.f16ToFloat(HalfPrecision.floatToF16(exact[i]));
                        case "BF16" -> HalfPrecision.bf16ToFloat(HalfPrecision.floatToBf16(exact[i]));
                        default -> exact[i];
                    };
                    assertEquals(stored, f32[i], t.name() + "[" + i + "]");
                    assertEquals(HalfPrecision.floatToF16(stored), f16[i], t.name() + "[" + i + "] as F16");
                }
            }
        }
    }

    @Test
    void readBuffersAreDirectLittleEndianAndExactlySized() {
        TinyCheckpoint.builder().dtype("BF16").write(dir);
        try (SafetensorsWeights w = SafetensorsWeights.open(dir)) {
            ByteBuffer b = w.read("model.norm.weight", DataType.FLOAT32);
            assertTrue(b.isDirect());
            assertEquals(ByteOrder.LITTLE_ENDIAN, b.order());
            assertEquals(0, b.position());
            assertEquals(64 * 4, b.remaining());
            assertThrows(IllegalArgumentException.class, () -> w.read("model.norm.weight", DataType.BFLOAT16));
        }
    }

    @Test
    void readBuffersAreWhatDjlExpects() {
        TinyCheckpoint ck = TinyCheckpoint.builder().dtype("BF16").build();
        ck.write(dir);
        String name = "model.layers.0.self_attn.k_proj.weight";
        try (SafetensorsWeights w = SafetensorsWeights.open(dir);
                NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            Shape shape = new Shape(w.info(name).shape());
            float[] f32 = m.create(w.read(name, DataType.FLOAT32), shape, DataType.FLOAT32).toFloatArray();
            NDArray half = m.create(w.read(name, DataType.FLOAT16), shape, DataType.FLOAT16);
            assertEquals(DataType.FLOAT16, half.getDataType());
            float[] widened = half.toType(DataType.FLOAT32, false).toFloatArray();
            float[] exact = ck.values(name);
            for (int i = 0; i < exact.length; i++) {
                float bf16 = HalfPrecision.bf16ToFloat(HalfPrecision.floatToBf16(exact[i]));
                assertEquals(bf16, f32[i]);
                // These weights are of normal F16 magnitude, where F16 holds every BF16 value exactly.
                if (Math.abs(bf16) >= 0x1p-14f) assertEquals(bf16, widened[i]);
            }
        }
    }

    @Test
    void shardedIndexReadsEveryTensorFromItsShard() {
        TinyCheckpoint ck = TinyCheckpoint.builder().dtype("BF16").sharded(3).tied(true).build();
        ck.write(dir);
        assertFalse(Files.exists(dir.resolve("model.safetensors")));
        try (SafetensorsWeights w = SafetensorsWeights.open(dir)) {
            assertEquals(ck.tensors().size(), w.names().size());
            assertFalse(w.names().contains("lm_head.weight"), "tied: no output head tensor");
            String last = ck.tensors().get(ck.tensors().size() - 1).name();
            float[] got = floats(w.read(last, DataType.FLOAT32));
            float[] exact = ck.values(last);
            for (int i = 0; i < exact.length; i++) {
                assertEquals(HalfPrecision.bf16ToFloat(HalfPrecision.floatToBf16(exact[i])), got[i]);
            }
        }
    }

    @Test
    void readRowsMatchesTheFullTensor() {
        TinyCheckpoint.builder().dtype("BF16").write(dir);
        try (SafetensorsWeights w = SafetensorsWeights.open(dir)) {
            String name = "model.embed_tokens.weight";
            float[] all = floats(w.read(name, DataType.FLOAT32));
            ByteBuffer dest = ByteBuffer.allocateDirect(10 * 64 * 4).order(ByteOrder.LITTLE_ENDIAN);
            w.readRows(name, DataType.FLOAT32, 300, 7, dest);
            w.readRows(name, DataType.FLOAT32, 0, 3, dest);
            dest.flip();
            float[] rows = floats(dest);
            for (int i = 0; i < 7 * 64; i++) assertEquals(all[300 * 64 + i], rows[i]);
            for (int i = 0; i < 3 * 64; i++) assertEquals(all[i], rows[7 * 64 + i]);
            assertThrows(IllegalArgumentException.class, () -> w.readRows(name, DataType.FLOAT32, 510, 3,
                    ByteBuffer.allocate(3 * 64 * 4)));
        }
    }

    @Test
    void largeTensorsAreStreamedThroughTheStagingBuffer() {
        // 1.5M BF16 values span several 4 MB staging chunks: chunk boundaries must not shift values.
        Path file = dir.resolve("big.safetensors");
        int n = 1_500_001;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) Math.sin(i * 0.001) * 100;
        try (SafetensorsWriter w = new SafetensorsWriter(file, List.of(new TensorInfo("x", "BF16", new long[] {n})), Map.of())) {
            w.append(v, 0, 1000);
            w.append(v, 1000, n - 1000);
        }
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            float[] got = floats(f.read("x", DataType.FLOAT32));
            for (int i = 0; i < n; i++) assertEquals(HalfPrecision.bf16ToFloat(HalfPrecision.floatToBf16(v[i])), got[i]);
        }
    }

    @Test
    void unknownTensorAndCorruptFilesAreOneLineBackendErrors() throws Exception {
        TinyCheckpoint.builder().write(dir);
        try (SafetensorsWeights w = SafetensorsWeights.open(dir)) {
            KunException e = assertThrows(KunException.class, () -> w.read("model.nope", DataType.FLOAT32));
            assertEquals(ExitCodes.BACKEND, e.exitCode());
            assertTrue(e.getMessage().contains("model.nope"));
        }
        Path bad = dir.resolve("bad.safetensors");
        Files.write(bad, new byte[] {(byte) 0xff, (byte) 0xff, 0, 0, 0, 0, 0, 0, '{', '}'});
        KunException e = assertThrows(KunException.class, () -> SafetensorsFile.open(bad));
        assertTrue(e.getMessage().contains(bad.toString()) && e.getMessage().contains("header length"), e.getMessage());
        // Truncated data section: the header promises more bytes than the file has.
        byte[] whole = Files.readAllBytes(dir.resolve("model.safetensors"));
        Path cut = dir.resolve("cut.safetensors");
        Files.write(cut, java.util.Arrays.copyOf(whole, whole.length - 10));
        e = assertThrows(KunException.class, () -> SafetensorsFile.open(cut));
        assertTrue(e.getMessage().contains("outside the file"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void bf16BeyondTheF16RangeFailsInsteadOfBecomingInfinity() {
        Path file = dir.resolve("wide.safetensors");
        try (SafetensorsWriter w = new SafetensorsWriter(file, List.of(new TensorInfo("w", "BF16", new long[] {3})), Map.of())) {
            w.append(new float[] {1f, 1e5f, -2f});
        }
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(99840f, floats(f.read("w", DataType.FLOAT32))[1]);
            KunException e = assertThrows(KunException.class, () -> f.read("w", DataType.FLOAT16));
            assertTrue(e.getMessage().contains("tensor w") && e.getMessage().contains("--dtype f32"), e.getMessage());
        }
    }

    @Test
    void unsupportedStoredDtypeIsNamed() throws Exception {
        Path file = dir.resolve("i64.safetensors");
        String header = "{\"ids\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]}}";
        ByteBuffer b = ByteBuffer.allocate(8 + header.length() + 16).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length()).put(header.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Files.write(file, b.array());
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals("I64", f.info("ids").dtype());
            KunException e = assertThrows(KunException.class, () -> f.read("ids", DataType.FLOAT32));
            assertTrue(e.getMessage().contains("I64") && e.getMessage().contains("ids"), e.getMessage());
        }
    }
}
