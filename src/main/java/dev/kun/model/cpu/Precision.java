package dev.kun.model.cpu;

import ai.djl.ndarray.types.DataType;
import dev.kun.error.KunException;
import java.util.List;
import java.util.Locale;

/**
 * The dtype the model's weights and activations live in on the device, chosen explicitly from
 * {@code --dtype} and the device rather than discovered by a crash. Checkpoint tensors are converted
 * to it in Java while loading (see WeightSource.read).
 *
 * <p>BF16 never reaches DJL: in DJL 0.36 the PyTorch JNI's dtype table maps only float32, float64,
 * float16, uint8, int32, int8, int64 and bool, and any other DataType hits a bare {@code throw;},
 * which aborts the JVM ("terminate called without an active exception"). INT16 and UINT16, also
 * missing from that table, abort the same way on the CPU, which locates the fault in the shared JNI
 * code rather than in a CPU kernel: BF16 is unusable on CUDA too. The decision table:
 *
 * <pre>
 * --dtype  cpu                               cuda
 * auto     FLOAT32                           FLOAT16
 * f32      FLOAT32                           FLOAT32
 * f16      FLOAT16 (works; slow CPU kernels) FLOAT16
 * bf16     FLOAT32 (BF16 widened exactly)    FLOAT16 (BF16 narrowed; exact for |x| in [6.1e-5, 65504])
 * </pre>
 *
 * On the CPU, PyTorch's F32 kernels are the fast and exact ones. On CUDA, auto takes F16 (as vLLM's
 * auto does for F32 and F16 checkpoints): half the memory of F32, and F16 holds every BF16 weight of
 * normal magnitude exactly because it has more mantissa bits (10 against 7); a weight beyond F16's
 * range fails the load with the tensor's name instead of becoming infinity.
 *
 * @param dataType what the engine allocates: FLOAT32 or FLOAT16
 * @param reason   one line for the log saying why, e.g. "bf16 on cpu: widened to f32 (...)"
 */
public record Precision(DataType dataType, String reason) {

    /** Accepted {@code --dtype} values. */
    public static final List<String> OPTIONS = List.of("auto", "f32", "f16", "bf16");

    /**
     * Applies the decision table. {@code option} is a {@code --dtype} value (case-insensitive;
     * float32/float16/bfloat16 are accepted as spellings); an unknown value is a usage error.
     */
    public static Precision choose(String option, boolean cuda) {
        String o = normalize(option);
        String device = cuda ? "cuda" : "cpu";
        return switch (o) {
            case "auto" -> cuda
                    ? new Precision(DataType.FLOAT16, "auto on cuda: f16 (half the memory of f32; DJL 0.36 cannot create bf16 tensors)")
                    : new Precision(DataType.FLOAT32, "auto on cpu: f32 (the fast and exact CPU kernels)");
            case "f32" -> new Precision(DataType.FLOAT32, "f32 on " + device + ": as requested");
            case "f16" -> new Precision(DataType.FLOAT16, "f16 on " + device + ": as requested"
                    + (cuda ? "" : " (CPU f16 kernels are slower than f32)"));
            case "bf16" -> cuda
                    ? new Precision(DataType.FLOAT16, "bf16 on cuda: narrowed to f16 (DJL 0.36 aborts the JVM on bf16 tensors;"
                            + " f16 holds bf16 weights of normal magnitude exactly)")
                    : new Precision(DataType.FLOAT32, "bf16 on cpu: widened to f32, exactly (DJL 0.36 aborts the JVM on bf16 tensors)");
            default -> throw new IllegalStateException(o);
        };
    }

    private static String normalize(String option) {
        String o = option == null ? "auto" : option.trim().toLowerCase(Locale.ROOT);
        o = switch (o) {
            case "float32", "fp32" -> "f32";
            case "float16", "fp16", "half" -> "f16";
            case "bfloat16" -> "bf16";
            default -> o;
        };
        if (!OPTIONS.contains(o)) {
            throw KunException.usage("--dtype " + option + " is not one of " + String.join(", ", OPTIONS));
        }
        return o;
    }
}
