package dev.kun.model.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import org.junit.jupiter.api.Test;

class PrecisionTest {

    @Test
    void decisionTable() {
        String[][] table = {
            // option, cpu, cuda
            {"auto", "FLOAT32", "FLOAT16"},
            {"f32", "FLOAT32", "FLOAT32"},
            {"f16", "FLOAT16", "FLOAT16"},
            {"bf16", "FLOAT32", "FLOAT16"},
        };
        for (String[] row : table) {
            assertEquals(DataType.valueOf(row[1]), Precision.choose(row[0], false).dataType(), row[0] + " on cpu");
            assertEquals(DataType.valueOf(row[2]), Precision.choose(row[0], true).dataType(), row[0] + " on cuda");
        }
    }

    @Test
    void bf16IsNeverHandedToDjlOnAnyDevice() {
        for (String option : Precision.OPTIONS) {
            for (boolean cuda : new boolean[] {false, true}) {
                DataType t = Precision.choose(option, cuda).dataType();
                assertTrue(t == DataType.FLOAT32 || t == DataType.FLOAT16, option + " " + cuda + " -> " + t);
            }
        }
        assertTrue(Precision.choose("bf16", false).reason().contains("widened to f32"));
        assertTrue(Precision.choose("bf16", true).reason().contains("narrowed to f16"));
    }

    @Test
    void spellingsAndErrors() {
        assertEquals(DataType.FLOAT16, Precision.choose("float16", false).dataType());
        assertEquals(DataType.FLOAT32, Precision.choose("BFLOAT16", false).dataType());
        assertEquals(DataType.FLOAT32, Precision.choose(null, false).dataType());
        KunException e = assertThrows(KunException.class, () -> Precision.choose("int8", true));
        assertEquals(ExitCodes.USAGE, e.exitCode());
        assertEquals("--dtype int8 is not one of auto, f32, f16, bf16", e.getMessage());
    }
}
