package dev.kun.model.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeviceSpecTest {

    @Test
    void autoIsCudaWhenAGpuIsVisibleElseCpu() {
        DeviceSpec auto = DeviceSpec.parse("auto", null);
        assertEquals(List.of(Device.cpu()), auto.resolve(0));
        assertEquals(List.of(Device.gpu(0)), auto.resolve(2));
    }

    @Test
    void explicitDevices() {
        assertEquals(List.of(Device.cpu()), DeviceSpec.parse("cpu", "").resolve(4));
        assertEquals(List.of(Device.gpu(0)), DeviceSpec.parse("cuda", null).resolve(1));
        assertEquals(List.of(Device.gpu(1)), DeviceSpec.parse("cuda:1", null).resolve(2));
        assertEquals(List.of(Device.gpu(2), Device.gpu(0)), DeviceSpec.parse("cuda", "2, 0").resolve(3));
        assertEquals(List.of(Device.gpu(0), Device.gpu(1)), DeviceSpec.parse("auto", "0,1").resolve(2));
        assertEquals(List.of(Device.gpu(1), Device.gpu(3)), DeviceSpec.parse("cuda:1", "1,3").resolve(4));
    }

    @Test
    void cudaWithoutGpuSaysHowToGetNatives() {
        for (String d : List.of("cuda", "cuda:0")) {
            KunException e = assertThrows(KunException.class, () -> DeviceSpec.parse(d, null).resolve(0));
            assertEquals(ExitCodes.BACKEND, e.exitCode());
            assertTrue(e.getMessage().contains("-Dcuda"), e.getMessage());
        }
        KunException e = assertThrows(KunException.class, () -> DeviceSpec.parse("auto", "0,1").resolve(0));
        assertEquals(ExitCodes.BACKEND, e.exitCode());
    }

    @Test
    void missingOrdinalIsNamed() {
        KunException e = assertThrows(KunException.class, () -> DeviceSpec.parse("cuda", "0,2").resolve(2));
        assertEquals("CUDA device 2 does not exist (DJL sees 2 GPUs: 0..1)", e.getMessage());
    }

    @Test
    void malformedOptionsAreUsageErrors() {
        for (String[] bad : new String[][] {{"tpu", null}, {"cuda:x", null}, {"cuda:-1", null}, {"cpu", "0"},
                {"cuda", "0,0"}, {"cuda", "0,,1"}, {"cuda:3", "0,1"}}) {
            KunException e = assertThrows(KunException.class, () -> DeviceSpec.parse(bad[0], bad[1]), bad[0] + " " + bad[1]);
            assertEquals(ExitCodes.USAGE, e.exitCode());
            assertTrue(e.getMessage().startsWith("--device"), e.getMessage());
        }
    }

    @Test
    void cpuNativesSeeNoGpu() {
        // The test classpath carries the CPU-only libtorch: whatever the driver says, no usable GPU.
        assertEquals(0, DeviceSpec.visibleGpus());
        assertEquals(List.of(Device.cpu()), DeviceSpec.parse("auto", null).resolve());
        assertEquals(List.of(Device.cpu()), DeviceSpec.parse("cpu", null).resolve());
    }
}
