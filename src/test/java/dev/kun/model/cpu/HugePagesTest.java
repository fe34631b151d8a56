package dev.kun.model.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Huge-page advice covers exactly the whole huge pages inside a tensor, and Linux takes it. */
class HugePagesTest {
    @Test
    void advisesTheWholeHugePagesInsideATensor() throws Exception {
        Assumptions.assumeTrue(HugePages.available(), "no transparent huge pages here");
        long huge = Long.parseLong(Files.readString(Path.of("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size")).trim());
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray small = m.create(new Shape(huge / 4), DataType.FLOAT32, Device.cpu()); // one huge page's bytes
            NDArray large = m.create(new Shape(5 * huge / 4 + 1000), DataType.FLOAT32, Device.cpu());
            long start = Pointer.nativeValue(Native.getDirectBufferPointer(DirectMemory.hostView(large)));
            long end = start + large.size() * 4;
            long first = (start + huge - 1) / huge * huge;
            long last = end / huge * huge;
            assertEquals(last - first, HugePages.advise(large), "the aligned interior of the tensor");
            long advisedSmall = HugePages.advise(small);
            assertTrue(advisedSmall == 0 || advisedSmall == huge, "one huge page's bytes hold at most one aligned huge page");
            // The kernel marks the advised range eligible: its mapping says so in smaps.
            assertTrue(eligible(first), "THPeligible for the advised range");
            // The KV cache's advice goes the other way: its mapping is no longer eligible.
            NDArray cache = m.create(new Shape(3 * huge / 4), DataType.FLOAT32, Device.cpu());
            long cacheStart = Pointer.nativeValue(Native.getDirectBufferPointer(DirectMemory.hostView(cache)));
            long probe = (cacheStart + huge - 1) / huge * huge; // a huge-page boundary inside the tensor
            HugePages.advise(cache); // eligible, as with THP "always" ...
            assertTrue(eligible(probe), "THPeligible once advised");
            assertTrue(HugePages.forbid(cache) >= 3 * huge - 4096 * 2, "nearly all of the tensor"); // ... until forbidden
            assertTrue(!eligible(probe), "not THPeligible after forbid");
        }
    }

    /** Whether /proc/self/smaps marks the mapping that holds {@code address} as THP-eligible. */
    private static boolean eligible(long address) throws Exception {
        List<String> lines = Files.readAllLines(Path.of("/proc/self/smaps"));
        boolean inside = false;
        for (String line : lines) {
            if (line.matches("^[0-9a-f]+-[0-9a-f]+ .*")) {
                String[] range = line.substring(0, line.indexOf(' ')).split("-");
                inside = Long.parseUnsignedLong(range[0], 16) <= address && address < Long.parseUnsignedLong(range[1], 16);
            } else if (inside && line.startsWith("THPeligible:")) {
                return line.trim().endsWith("1");
            }
        }
        return false;
    }
}
