package dev.kun.model.cpu;

import ai.djl.Device;
import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import java.util.Arrays;
import java.util.List;

/**
 * Which device holds each transformer layer when a model is split over several GPUs (pipeline by
 * layers): a contiguous block of layers per device, in device order. The embedding lives with the
 * first layer and the final norm and output head with the last, so activations cross a device
 * boundary only between blocks. With one device every layer maps to it and the code path is the same.
 *
 * @param devices    the devices, in pipeline order
 * @param firstLayer firstLayer[i] is the first layer on devices[i]; firstLayer[devices.size()] = layers
 */
public record LayerPlacement(List<Device> devices, int[] firstLayer) {

    public LayerPlacement {
        devices = List.copyOf(devices);
        firstLayer = firstLayer.clone();
        if (firstLayer.length != devices.size() + 1) throw new IllegalArgumentException("one boundary per device plus the end");
    }

    /** Every layer on {@code device}. */
    public static LayerPlacement single(int layers, Device device) {
        return new LayerPlacement(List.of(device), new int[] {0, layers});
    }

    /** Layers split as evenly as possible; the first {@code layers % n} devices take one extra. */
    public static LayerPlacement even(int layers, List<Device> devices) {
        int n = devices.size();
        if (n == 0) throw new IllegalArgumentException("no devices");
        int[] first = new int[n + 1];
        for (int i = 0; i < n; i++) first[i + 1] = first[i] + layers / n + (i < layers % n ? 1 : 0);
        return new LayerPlacement(devices, first);
    }

    /**
     * {@code layers} layers of {@code layerBytes} each, split in proportion to each device's free memory,
     * after reserving the embedding on the first device and the output head on the last.
     * {@code freeBytes[i]} is what device i may spend on weights (leave room for the KV cache and
     * activations yourself). Fails with exit 4 when the weights do not fit.
     */
    public static LayerPlacement byMemory(int layers, long layerBytes, long embedBytes, long headBytes,
            List<Device> devices, long[] freeBytes) {
        int n = devices.size();
        if (freeBytes.length != n) throw new IllegalArgumentException("one free-memory figure per device");
        long[] room = freeBytes.clone();
        room[0] -= embedBytes;
        room[n - 1] -= headBytes;
        int[] count = new int[n];
        long total = 0;
        for (int i = 0; i < n; i++) {
            room[i] = Math.max(0, room[i]);
            total += room[i];
        }
        long needed = layerBytes * layers;
        if (total < needed) {
            throw new KunException(ExitCodes.BACKEND, String.format("the model needs %.1f GB for its weights but the devices %s have"
                    + " %.1f GB free for them", (needed + embedBytes + headBytes) / 1e9, devices,
                    (Arrays.stream(freeBytes).sum()) / 1e9));
        }
        // Largest-remainder apportionment, then capped by what each device actually holds.
        double[] share = new double[n];
        int assigned = 0;
        for (int i = 0; i < n; i++) {
            share[i] = (double) layers * room[i] / total;
            count[i] = (int) Math.min(Math.floor(share[i]), room[i] / Math.max(1, layerBytes));
            assigned += count[i];
        }
        while (assigned < layers) {
            int best = -1;
            for (int i = 0; i < n; i++) {
                boolean fits = (count[i] + 1) * layerBytes <= room[i];
                if (fits && (best < 0 || share[i] - count[i] > share[best] - count[best])) best = i;
            }
            if (best < 0) {
                throw new KunException(ExitCodes.BACKEND, "the layers do not fit on " + devices + " in whole blocks");
            }
            count[best]++;
            assigned++;
        }
        int[] first = new int[n + 1];
        for (int i = 0; i < n; i++) first[i + 1] = first[i] + count[i];
        return new LayerPlacement(devices, first);
    }

    /** The device of transformer layer {@code layer}. */
    public Device deviceOf(int layer) {
        for (int i = 0; i < devices.size(); i++) {
            if (layer < firstLayer[i + 1]) return devices.get(i);
        }
        throw new IndexOutOfBoundsException("layer " + layer + " of " + firstLayer[devices.size()]);
    }

    /** Holds the token embedding (with layer 0). */
    public Device embeddingDevice() {
        return devices.get(0);
    }

    /** Holds the final norm and the output head (with the last layer). */
    public Device headDevice() {
        return devices.get(devices.size() - 1);
    }

    /** Number of layers on device {@code i}. */
    public int layersOn(int i) {
        return firstLayer[i + 1] - firstLayer[i];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LayerPlacement p && devices.equals(p.devices) && Arrays.equals(firstLayer, p.firstLayer);
    }

    @Override
    public int hashCode() {
        return devices.hashCode() * 31 + Arrays.hashCode(firstLayer);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < devices.size(); i++) {
            if (i > 0) sb.append(", ");
            sb.append(devices.get(i)).append(": layers ").append(firstLayer[i]).append("..").append(firstLayer[i + 1] - 1);
        }
        return sb.toString();
    }
}
