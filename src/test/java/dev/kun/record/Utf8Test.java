package dev.kun.record;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Utf8Test {

    @Test
    void edgesOfEachSequenceLength() {
        assertEquals(-1, Utf8.firstInvalid(bytes(0x7f, 0xc2, 0x80, 0xdf, 0xbf), 5));
        assertEquals(0, Utf8.firstInvalid(bytes(0xc1, 0xbf), 2), "overlong 2-byte");
        assertEquals(-1, Utf8.firstInvalid(bytes(0xe0, 0xa0, 0x80), 3), "U+0800");
        assertEquals(0, Utf8.firstInvalid(bytes(0xe0, 0x9f, 0xbf), 3), "overlong 3-byte");
        assertEquals(0, Utf8.firstInvalid(bytes(0xed, 0xa0, 0x80), 3), "U+D800, a surrogate");
        assertEquals(-1, Utf8.firstInvalid(bytes(0xed, 0x9f, 0xbf), 3), "U+D7FF");
        assertEquals(-1, Utf8.firstInvalid(bytes(0xf0, 0x90, 0x80, 0x80), 4), "U+10000");
        assertEquals(0, Utf8.firstInvalid(bytes(0xf0, 0x8f, 0xbf, 0xbf), 4), "overlong 4-byte");
        assertEquals(-1, Utf8.firstInvalid(bytes(0xf4, 0x8f, 0xbf, 0xbf), 4), "U+10FFFF");
        assertEquals(0, Utf8.firstInvalid(bytes(0xf4, 0x90, 0x80, 0x80), 4), "above U+10FFFF");
        assertEquals(1, Utf8.firstInvalid(bytes('a', 0xe4, 0xbd), 3), "truncated at the end");
        assertEquals(1, Utf8.firstInvalid(bytes('a', 0xe4, 0xbd, 0xa0), 3), "len bounds the sequence");
        assertEquals(2, Utf8.firstInvalid(bytes('a', 'b', 0x80), 3), "lone continuation byte");
    }

    @Test
    void agreesWithTheJdkStrictDecoderOnRandomBytes() {
        Random random = new Random(7);
        int[] pool = {'a', '\n', 0x80, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xe4, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff};
        for (int trial = 0; trial < 50_000; trial++) {
            byte[] b = new byte[random.nextInt(9)];
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte) pool[random.nextInt(pool.length)];
            }
            assertEquals(jdkValid(b), Utf8.firstInvalid(b, b.length) < 0, () -> java.util.HexFormat.of().formatHex(b));
        }
        String text = "教育具有哪些社会发展功能？😀 ascii é\u0800\uFFFF";
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        assertEquals(-1, Utf8.firstInvalid(utf8, utf8.length));
    }

    private static boolean jdkValid(byte[] b) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            decoder.decode(ByteBuffer.wrap(b));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }
}
