package dev.kun.model.cpu;

/**
 * Bit-exact conversions between float and the two 16-bit formats of checkpoints (IEEE binary16
 * "F16" and bfloat16 "BF16"), written out because Java 17 has no {@code Float.float16ToFloat}.
 * Every narrowing rounds to nearest, ties to even, as PyTorch does.
 */
public final class HalfPrecision {
    private HalfPrecision() {}

    /** BF16 is the top half of a float, so widening is exact: a shift. */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /** Rounds to the nearest BF16, ties to even; NaN stays a (quiet) NaN rather than rounding to infinity. */
    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        // Adding 0x7fff plus the lowest kept bit rounds half to even in integer arithmetic.
        int rounded = bits + 0x7fff + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }

    /** Widens IEEE binary16 exactly, including subnormals, infinities and NaN. */
    public static float f16ToFloat(short half) {
        int h = half & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            if (mant == 0) return Float.intBitsToFloat(sign);
            // Subnormal: value = mant * 2^-24, exactly representable as a float.
            float v = mant * 0x1p-24f;
            return sign == 0 ? v : -v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /**
     * Rounds a float to the nearest binary16, ties to even; values beyond the F16 range become
     * infinity (as a cast in PyTorch does), tiny ones become subnormals or signed zero.
     */
    public static short floatToF16(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fffffff;
        if (abs >= 0x7f800000) {
            // Infinity stays infinity; NaN keeps a quiet payload bit so it cannot become infinity.
            return (short) (sign | 0x7c00 | (abs > 0x7f800000 ? 0x200 | ((abs >>> 13) & 0x3ff) : 0));
        }
        int exp = (abs >>> 23) - 127;
        if (exp > 15) {
            return (short) (sign | 0x7c00);
        }
        if (exp >= -14) {
            // Normal range: drop 13 mantissa bits with round-half-even; a carry may bump the exponent,
            // possibly into infinity, which is the correctly rounded result.
            int h = ((exp + 15) << 10) | ((abs >>> 13) & 0x3ff);
            int rest = abs & 0x1fff;
            if (rest > 0x1000 || (rest == 0x1000 && (h & 1) == 1)) h++;
            return (short) (sign | h);
        }
        if (exp < -25) {
            return (short) sign;
        }
        // Subnormal result: the full significand (with its implicit 1) shifted right by the deficit.
        int significand = (abs & 0x7fffff) | 0x800000;
        int shift = -exp - 14 + 13;
        int h = significand >>> shift;
        int rest = significand & ((1 << shift) - 1);
        int half = 1 << (shift - 1);
        if (rest > half || (rest == half && (h & 1) == 1)) h++;
        return (short) (sign | h);
    }

    /** BF16 to F16 through the exact float value, so there is a single, correct rounding. */
    public static short bf16ToF16(short bits) {
        return floatToF16(bf16ToFloat(bits));
    }
}
