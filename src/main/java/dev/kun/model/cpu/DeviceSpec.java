package dev.kun.model.cpu;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;

/**
 * Where the model runs, from {@code --device cpu|cuda|cuda:N|auto} and optionally
 * {@code --devices 0,1,...} (CUDA ordinals over which layers are split, pipeline style). Parsing and
 * {@link #resolve(int)} are pure functions of the GPU count, so the whole decision is testable
 * without a GPU; {@link #visibleGpus()} is the one place that asks DJL.
 *
 * @param kind      "cpu", "cuda" or "auto"
 * @param ordinals  CUDA ordinals requested (from cuda:N or --devices); empty means "the first GPU"
 */
public record DeviceSpec(String kind, List<Integer> ordinals) {

    public DeviceSpec {
        ordinals = List.copyOf(ordinals);
    }

    /**
     * Parses the two options; {@code devices} may be null or blank. Malformed values are usage errors
     * (exit 2) naming the option.
     */
    public static DeviceSpec parse(String device, String devices) {
        String d = device == null ? "auto" : device.trim().toLowerCase(Locale.ROOT);
        List<Integer> list = parseList(devices);
        String kind;
        List<Integer> ordinals = new ArrayList<>();
        if (d.equals("cpu") || d.equals("auto") || d.equals("cuda") || d.equals("gpu")) {
            kind = d.equals("gpu") ? "cuda" : d;
        } else if (d.startsWith("cuda:") || d.startsWith("gpu:")) {
            kind = "cuda";
            ordinals.add(ordinal(d.substring(d.indexOf(':') + 1), "--device " + device));
        } else {
            throw KunException.usage("--device " + device + " is not one of cpu, cuda, cuda:N, auto");
        }
        if (!list.isEmpty()) {
            if (kind.equals("cpu")) {
                throw KunException.usage("--devices lists CUDA devices; it cannot be combined with --device cpu");
            }
            if (!ordinals.isEmpty() && !list.contains(ordinals.get(0))) {
                throw KunException.usage("--device " + device + " is not among --devices " + devices);
            }
            ordinals = list;
        }
        return new DeviceSpec(kind, ordinals);
    }

    private static List<Integer> parseList(String devices) {
        if (devices == null || devices.isBlank()) return List.of();
        LinkedHashSet<Integer> out = new LinkedHashSet<>();
        for (String part : devices.split(",")) {
            if (!out.add(ordinal(part.trim(), "--devices " + devices))) {
                throw KunException.usage("--devices " + devices + " lists device " + part.trim() + " twice");
            }
        }
        return List.copyOf(out);
    }

    private static int ordinal(String s, String option) {
        try {
            int n = Integer.parseInt(s);
            if (n >= 0) return n;
        } catch (NumberFormatException ignored) {
            // fall through to the usage error
        }
        throw KunException.usage(option + ": '" + s + "' is not a device number (0, 1, ...)");
    }

    /**
     * The devices to use, given how many GPUs DJL sees: one CPU device, or one or more GPUs in the
     * order given. Asking for CUDA where there is none, or for a missing ordinal, is a backend error
     * (exit 4) that says how to get the CUDA natives.
     */
    public List<Device> resolve(int gpuCount) {
        if (kind.equals("cpu") || (kind.equals("auto") && gpuCount == 0 && ordinals.isEmpty())) {
            return List.of(Device.cpu());
        }
        if (gpuCount == 0) {
            throw new KunException(ExitCodes.BACKEND, "--device " + kind + ": DJL's PyTorch engine sees no CUDA GPU (CPU-only"
                    + " natives? build with -Dcuda and provide libtorch 2.7.1 cu128: README, Running on GPU)");
        }
        if (ordinals.isEmpty()) return List.of(Device.gpu(0));
        List<Device> out = new ArrayList<>();
        for (int n : ordinals) {
            if (n >= gpuCount) {
                throw new KunException(ExitCodes.BACKEND, "CUDA device " + n + " does not exist (DJL sees " + gpuCount + " GPU"
                        + (gpuCount == 1 ? "" : "s") + ": 0.." + (gpuCount - 1) + ")");
            }
            out.add(Device.gpu(n));
        }
        return out;
    }

    /**
     * GPUs the PyTorch engine can use: 0 when its libtorch was built without CUDA (the CPU natives
     * jar), even on a machine with GPUs, because DJL's GPU count alone asks the CUDA driver, not libtorch.
     */
    public static int visibleGpus() {
        try {
            Engine engine = Engine.getEngine("PyTorch");
            return engine.hasCapability(StandardCapabilities.CUDA) ? engine.getGpuCount() : 0;
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            return 0;
        }
    }

    /** {@link #resolve(int)} against the GPUs this machine shows. */
    public List<Device> resolve() {
        return resolve(kind.equals("cpu") ? 0 : visibleGpus());
    }
}
