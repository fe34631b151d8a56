package dev.kun.model.cpu;

import dev.kun.model.llama.LlamaConfig;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import java.util.List;
import org.junit.jupiter.api.Test;

class LayerPlacementTest {
    private static final List<Device> FOUR = List.of(Device.gpu(0), Device.gpu(1), Device.gpu(2), Device.gpu(3));

    /** Yi-34B's shape: 60 layers, hidden 7168, 56 heads over 8 KV heads, vocab 64000. */
    private static LlamaConfig yi34b() {
        return new LlamaConfig("llama", 7168, 60, 56, 8, 128, 20480, 64000, 4096, 1e-5, 5e6, 1, false, false, 0, "bfloat16");
    }

    @Test
    void evenSplitIsContiguousAndCoversEveryLayer() {
        LayerPlacement p = LayerPlacement.even(7, FOUR.subList(0, 3));
        assertArrayEquals(new int[] {0, 3, 5, 7}, p.firstLayer());
        assertEquals(Device.gpu(0), p.deviceOf(2));
        assertEquals(Device.gpu(1), p.deviceOf(3));
        assertEquals(Device.gpu(2), p.deviceOf(6));
        assertEquals(Device.gpu(0), p.embeddingDevice());
        assertEquals(Device.gpu(2), p.headDevice());
        assertThrows(IndexOutOfBoundsException.class, () -> p.deviceOf(7));
        assertEquals(15, LayerPlacement.even(60, FOUR).layersOn(3));
    }

    @Test
    void singleDeviceHoldsEverything() {
        LayerPlacement p = LayerPlacement.single(12, Device.cpu());
        for (int l = 0; l < 12; l++) assertEquals(Device.cpu(), p.deviceOf(l));
    }

    @Test
    void byMemoryFollowsFreeMemoryAndLeavesRoomForEmbeddingAndHead() {
        LlamaConfig c = yi34b();
        // F16: 68.8 GB of weights over four 24 GB cards: the end cards hold fewer layers.
        long[] free = {24_000_000_000L, 24_000_000_000L, 24_000_000_000L, 24_000_000_000L};
        LayerPlacement p = c.placeByMemory(FOUR, free, 2);
        int sum = 0;
        for (int i = 0; i < 4; i++) sum += p.layersOn(i);
        assertEquals(60, sum);
        assertTrue(p.layersOn(1) >= p.layersOn(0) && p.layersOn(2) >= p.layersOn(3), p.toString());
        long layerBytes = 2L * (2 * 7168 + 7168L * 7168 * 2 + 2L * 7168 * 1024 + 3L * 7168 * 20480);
        long embed = 2L * 64000 * 7168;
        assertTrue(p.layersOn(0) * layerBytes + embed <= free[0], p.toString());
        // A card with twice the memory takes about twice the layers.
        LayerPlacement q = c.placeByMemory(FOUR.subList(0, 2), new long[] {80_000_000_000L, 40_000_000_000L}, 2);
        assertTrue(q.layersOn(0) > q.layersOn(1) * 1.7, q.toString());
    }

    @Test
    void tooLittleMemoryIsABackendError() {
        KunException e = assertThrows(KunException.class, () -> yi34b().placeByMemory(FOUR.subList(0, 2),
                new long[] {24_000_000_000L, 24_000_000_000L}, 2));
        assertEquals(ExitCodes.BACKEND, e.exitCode());
        assertTrue(e.getMessage().startsWith("the model needs 68.8 GB"), e.getMessage());
    }
}
