package dev.kun.record;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LineReaderTest {

    @Test
    void splitsAtEveryNewlineWhateverTheChunkAndWordBoundaries() throws IOException {
        Random random = new Random(7);
        // Bytes one bit or one borrow away from '\n' (0x0a) next to real newlines, in lines of every
        // length around the 8-byte words, over several 64 KB chunks read in odd-sized pieces.
        byte[] alphabet = {0x0a, 0x0b, 0x09, (byte) 0x8a, 0x00, 0x01, (byte) 0xff, 0x1a, 0x4a, 'a', (byte) 0xe4};
        List<byte[]> lines = new ArrayList<>();
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        while (all.size() < 300_000) {
            int n = random.nextInt(5) == 0 ? random.nextInt(3000) : random.nextInt(20);
            byte[] line = new byte[n];
            for (int i = 0; i < n; i++) {
                byte b;
                do {
                    b = alphabet[random.nextInt(alphabet.length)];
                } while (b == '\n');
                line[i] = b;
            }
            lines.add(line);
            all.write(line, 0, n);
            all.write('\n');
        }
        byte[] bytes = all.toByteArray();
        LineReader reader = new LineReader(new Pieces(bytes, random), Long.MAX_VALUE, 0, 0);
        long offset = 0;
        for (byte[] expected : lines) {
            assertTrue(reader.next());
            assertArrayEquals(expected, Arrays.copyOf(reader.bytes(), reader.length()));
            offset += expected.length + 1;
            assertEquals(offset, reader.offset());
        }
        assertFalse(reader.next());
    }

    @Test
    void aLastLineWithoutANewlineStillCounts() throws IOException {
        LineReader reader = new LineReader(new ByteArrayInputStream("abcdefghij\nklmnopqrstuvw".getBytes()), 100, 0, 0);
        assertTrue(reader.next());
        assertEquals("abcdefghij", new String(reader.bytes(), 0, reader.length()));
        assertTrue(reader.next());
        assertEquals("klmnopqrstuvw", new String(reader.bytes(), 0, reader.length()));
        assertFalse(reader.next());
    }

    /** Hands out the bytes in reads of random sizes, as pipes and decompressors do. */
    private static final class Pieces extends InputStream {
        private final byte[] bytes;
        private final Random random;
        private int pos;

        Pieces(byte[] bytes, Random random) {
            this.bytes = bytes;
            this.random = random;
        }

        @Override
        public int read() {
            return pos < bytes.length ? bytes[pos++] & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (pos == bytes.length) return -1;
            int n = Math.min(Math.min(len, bytes.length - pos), 1 + random.nextInt(20_000));
            System.arraycopy(bytes, pos, b, off, n);
            pos += n;
            return n;
        }
    }
}
