package dev.kun.model.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class HalfPrecisionTest {

    @Test
    void everyF16WidensAndNarrowsBackToItself() {
        for (int h = 0; h < 0x10000; h++) {
            float f = HalfPrecision.f16ToFloat((short) h);
            boolean nan = (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0;
            if (nan) {
                assertTrue(Float.isNaN(f));
                assertTrue(Float.isNaN(HalfPrecision.f16ToFloat(HalfPrecision.floatToF16(f))));
            } else {
                assertEquals(h, HalfPrecision.floatToF16(f) & 0xffff, "h=" + Integer.toHexString(h));
            }
        }
    }

    @Test
    void knownF16Values() {
        assertEquals(1.0f, HalfPrecision.f16ToFloat((short) 0x3c00));
        assertEquals(65504f, HalfPrecision.f16ToFloat((short) 0x7bff));
        assertEquals(0x1p-24f, HalfPrecision.f16ToFloat((short) 0x0001));
        assertEquals(-2f, HalfPrecision.f16ToFloat((short) 0xc000));
        assertEquals(Float.NEGATIVE_INFINITY, HalfPrecision.f16ToFloat((short) 0xfc00));
        assertEquals(0x7c00, HalfPrecision.floatToF16(65520f) & 0xffff, "65520 rounds (tie to even) up to infinity");
        assertEquals(0x7bff, HalfPrecision.floatToF16(65519f) & 0xffff);
        assertEquals(0x0000, HalfPrecision.floatToF16(0x1p-25f) & 0xffff, "half the smallest subnormal ties to zero");
        assertEquals(0x0001, HalfPrecision.floatToF16(Math.nextUp(0x1p-25f)) & 0xffff);
    }

    /** Reference: the result is a nearest F16 (checked against both neighbours), ties go to the even one. */
    @Test
    void narrowingToF16IsCorrectlyRounded() {
        Random rnd = new Random(1);
        for (int i = 0; i < 200_000; i++) {
            // Exponents concentrated on the F16 range (subnormal to overflow) where rounding is interesting.
            int bits = (rnd.nextInt() & 0x807fffff) | ((97 + rnd.nextInt(50)) << 23);
            if (i % 4 == 0) bits &= ~0xfff; // many exact ties and near-ties
            checkNearestF16(Float.intBitsToFloat(bits));
        }
    }

    private static void checkNearestF16(float x) {
        int h = HalfPrecision.floatToF16(x) & 0xffff;
        double got = HalfPrecision.f16ToFloat((short) h);
        if (Double.isInfinite(got)) {
            assertTrue(Math.abs(x) >= 65520f, "overflow only at or beyond 65520: " + x);
            return;
        }
        double err = Math.abs(got - x);
        for (int n : new int[] {h - 1, h + 1}) {
            if ((n & 0x7c00) == 0x7c00 || n < 0 || ((n ^ h) & 0x8000) != 0) continue;
            double other = Math.abs(HalfPrecision.f16ToFloat((short) n) - (double) x);
            assertTrue(err <= other, x + " -> " + got + " but " + HalfPrecision.f16ToFloat((short) n) + " is nearer");
            if (err == other) assertEquals(0, h & 1, "tie must go to even: " + x);
        }
    }

    @Test
    void bf16IsTheHighHalfRoundedToNearestEven() {
        assertEquals(0x3f80, HalfPrecision.floatToBf16(1f) & 0xffff);
        assertEquals(1f, HalfPrecision.bf16ToFloat((short) 0x3f80));
        // 1 + 2^-8 is exactly between 1 and 1 + 2^-7: ties to the even 1.
        assertEquals(0x3f80, HalfPrecision.floatToBf16(1f + 0x1p-8f) & 0xffff);
        assertEquals(0x3f82, HalfPrecision.floatToBf16(1f + 3 * 0x1p-8f) & 0xffff);
        assertEquals(0x3f81, HalfPrecision.floatToBf16(Math.nextUp(1f + 0x1p-8f)) & 0xffff);
        assertTrue(Float.isNaN(HalfPrecision.bf16ToFloat(HalfPrecision.floatToBf16(Float.intBitsToFloat(0x7f800001)))));
        for (int b = 0; b < 0x10000; b++) {
            float f = HalfPrecision.bf16ToFloat((short) b);
            if (!Float.isNaN(f)) assertEquals(b, HalfPrecision.floatToBf16(f) & 0xffff);
        }
    }

    @Test
    void bf16ToF16RoundsOnceFromTheExactValue() {
        for (int b = 0; b < 0x10000; b++) {
            float exact = HalfPrecision.bf16ToFloat((short) b);
            if (Float.isNaN(exact)) continue;
            short h = HalfPrecision.bf16ToF16((short) b);
            assertEquals(HalfPrecision.floatToF16(exact), h);
            checkNearestF16(exact);
        }
    }
}
