package dev.kun.record;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The compact form must be indistinguishable from the Jackson tree: same bytes written, same field
 * values, same results after {@code with}/{@code without}; and it must step aside (null) for every line
 * it cannot reproduce byte for byte, leaving those to Jackson.
 */
class CompactObjectTest {

    private static final List<String> ACCEPTED = List.of(
            "{}",
            " { } ",
            "{\"a\":1}",
            "{\"id\": \"x\", \"instruction\": \"你好\\n世界\", \"input\": \"\", \"output\": \"😀 emoji \\\"q\\\" \\\\ tab\\t\"}",
            "{\"n\":null,\"t\":true,\"f\":false,\"i\":-12,\"big\":123456789012345678901234567890,\"d\":0.10,\"e\":1E+5,\"z\":0}",
            "{\"nested\": {\"a\": [1, 2, {\"b\": \"c\"}], \"d\": []}, \"arr\": [ ], \"o\": { }}",
            "{\"ctl\":\"\\b\\f\\r\\n\\t\",\"slash\":\"a/b\",\"del\":\"\u007f\",\"ls\":\"\u2028\u2029\",\"nbsp\":\"\u00a0\"}",
            "{\"score\":\"【好】\",\"x\":0.000001,\"y\":-1.5,\"w\":1.0E-7}",
            "{\t\"a\"\t:\t\"b\"\r}",
            "{\"a\":{\"x\":1,\"y\":{\"x\":2}}}");

    private static final List<String> LEFT_TO_JACKSON = List.of(
            "{\"a\":\"\\u00e9\"}", // Jackson writes é
            "{\"a\":\"\\/\"}", // Jackson writes /
            "{\"a\":-0}",
            "{\"a\":1e5}",
            "{\"a\":0.0000001}",
            "{\"a\":-0.0}",
            "{\"a\":1,\"a\":2}",
            "{\"o\":{\"a\":1,\"a\":2}}",
            "{\"a\":1} x",
            "{\"a\":1}{}",
            "[1]",
            "\"s\"",
            "{\"a\":01}",
            "{\"a\":1.}",
            "{\"a\":truex}",
            "{\"a\":tru}",
            "{\"a\":\"x\u0001\"}",
            "{\"a\" 1}",
            "{\"a\":1,}",
            "{\"a\":[1,]}",
            "{'a':1}",
            "{a:1}",
            "{\"a\":NaN}",
            "{\"a\":1",
            "{\"a\":\"unterminated}",
            "{\"a\":\u00a01}");

    @Test
    void acceptedLinesWriteExactlyWhatJacksonWrites() throws Exception {
        for (String line : ACCEPTED) {
            assertSame(line);
        }
    }

    @Test
    void leavesToJacksonWhatItCannotReproduce() {
        for (String line : LEFT_TO_JACKSON) {
            byte[] b = line.getBytes(StandardCharsets.UTF_8);
            assertNull(CompactObject.scan(b, b.length), line);
        }
    }

    /** An accepted line must be valid UTF-8: the reader skips its own check for those. */
    @Test
    void leavesInvalidUtf8ToTheReader() {
        int[][] bad = {{0xff}, {0xc0, 0x80}, {0xed, 0xa0, 0x80}, {0xe4, 0xbd}, {0xf4, 0x90, 0x80, 0x80}, {0x80}};
        for (int[] seq : bad) {
            byte[] head = "{\"a\":\"x".getBytes(StandardCharsets.UTF_8);
            byte[] line = new byte[head.length + seq.length + 2];
            System.arraycopy(head, 0, line, 0, head.length);
            for (int i = 0; i < seq.length; i++) line[head.length + i] = (byte) seq[i];
            line[line.length - 2] = '"';
            line[line.length - 1] = '}';
            assertEquals(true, Utf8.firstInvalid(line, line.length) >= 0);
            assertNull(CompactObject.scan(line, line.length), java.util.Arrays.toString(seq));
        }
        byte[] outside = "{\"a\":1\u00a0}".getBytes(StandardCharsets.UTF_8);
        assertNull(CompactObject.scan(outside, outside.length));
    }

    /**
     * Runs of 3-byte characters are checked two at a time: one bad byte anywhere in a run, at any distance
     * from the string's end, still leaves the line to the reader, and E0/ED leads (narrower second bytes)
     * are told apart from plain ones. Accepted exactly when the line is valid UTF-8 and nothing special.
     */
    @Test
    void everyByteOfARunOfThreeByteCharactersIsChecked() throws Exception {
        String[] chars = {"中", "文", "\u0800", "\ud7ff", "\ue000", "\ufffd", "\u1000", "字"};
        int[] replacements = {0x41, 0x80, 0xbf, 0xa0, 0x9f, 0xc0, 0xe0, 0xed, 0xef, 0xf0, 0xff, '"', '\\', 0x0a};
        Random random = new Random(3);
        int accepted = 0;
        for (int length = 1; length <= 9; length++) {
            StringBuilder run = new StringBuilder();
            for (int i = 0; i < length; i++) run.append(chars[random.nextInt(chars.length)]);
            for (int tail = 0; tail <= 3; tail++) {
                byte[] valid = ("{\"a\":\"" + run + "x".repeat(tail) + "\"}").getBytes(StandardCharsets.UTF_8);
                assertSame(new String(valid, StandardCharsets.UTF_8));
                int runStart = 6;
                for (int at = runStart; at < runStart + 3 * length; at++) {
                    for (int v : replacements) {
                        byte[] line = valid.clone();
                        line[at] = (byte) v;
                        boolean expected = Utf8.firstInvalid(line, line.length) < 0 && v != '"' && v != '\\' && v >= 0x20;
                        CompactObject c = CompactObject.scan(line, line.length);
                        assertEquals(expected, c != null, java.util.Arrays.toString(line));
                        if (c != null) {
                            accepted++;
                            assertSame(new String(line, StandardCharsets.UTF_8));
                        }
                    }
                }
            }
        }
        assertEquals(true, accepted > 100, "accepted only " + accepted);
    }

    @Test
    void withAndWithoutMatchTheTree() throws Exception {
        String line = "{\"id\": \"x\", \"instruction\": \"a  \\n\", \"input\": \"\", \"output\": \"o\", \"n\": null}";
        KunRecord compact = compact(line);
        KunRecord tree = new KunRecord((ObjectNode) Json.MAPPER.readTree(line));
        String[][] steps = {{"with", "instruction", "a\u0000\"\\\u001f\ud83d\ude00é"}, {"without", "input", null},
            {"with", "stage", "filter"}, {"with", "reason", null}, {"without", "missing", null},
            {"with", "id", "y"}, {"without", "n", null}, {"with", "名字\n", "值"}};
        for (String[] step : steps) {
            compact = step[0].equals("with") ? compact.with(step[1], step[2]) : compact.without(step[1]);
            tree = step[0].equals("with") ? tree.with(step[1], step[2]) : tree.without(step[1]);
            assertArrayEquals(bytes(tree), bytes(compact), String.join(" ", step));
            assertEquals(tree.json(), compact.json());
            assertEquals(tree, compact);
            for (String f : List.of("id", "instruction", "input", "output", "n", "stage", "reason", "名字\n")) {
                assertEquals(tree.string(f), compact.string(f), f);
                assertEquals(tree.has(f), compact.has(f), f);
            }
        }
        assertNull(compact.loneSurrogateField());
        assertEquals("bad", compact.with("bad", "x\ud800").loneSurrogateField());
        assertEquals(Json.loneSurrogateField(tree.with("bad", "x\ud800").json()), "bad");
    }

    /** Random objects, written in random (valid) layouts: whatever is accepted round-trips exactly. */
    @Test
    void randomObjectsRoundTripExactly() throws Exception {
        Random random = new Random(42);
        int accepted = 0;
        for (int n = 0; n < 3000; n++) {
            StringBuilder sb = new StringBuilder();
            randomObject(random, sb, 0);
            String line = sb.toString();
            byte[] b = line.getBytes(StandardCharsets.UTF_8);
            JsonNode tree;
            try {
                tree = Json.MAPPER.readTree(b);
            } catch (Exception e) {
                assertNull(CompactObject.scan(b, b.length), line);
                continue;
            }
            CompactObject c = CompactObject.scan(b, b.length);
            if (c != null) {
                accepted++;
                assertSame(line);
            }
        }
        assertEquals(true, accepted > 1000, "accepted only " + accepted);
    }

    private static void assertSame(String line) throws Exception {
        byte[] b = line.getBytes(StandardCharsets.UTF_8);
        CompactObject c = CompactObject.scan(b, b.length);
        assertNotNull(c, line);
        ObjectNode tree = (ObjectNode) Json.MAPPER.readTree(b);
        KunRecord record = new KunRecord(c);
        assertArrayEquals(Json.MAPPER.writeValueAsBytes(tree), bytes(record), line);
        assertEquals(tree, new KunRecord(c).json(), line);
        KunRecord treeRecord = new KunRecord(tree);
        for (var it = tree.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            assertEquals(treeRecord.string(f), record.string(f), f);
            assertArrayEquals(bytes(treeRecord.without(f)), bytes(record.without(f)), f);
            assertArrayEquals(bytes(treeRecord.with(f, "v")), bytes(record.with(f, "v")), f);
        }
    }

    private static KunRecord compact(String line) {
        byte[] b = line.getBytes(StandardCharsets.UTF_8);
        return new KunRecord(CompactObject.scan(b, b.length));
    }

    private static byte[] bytes(KunRecord r) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        r.writeTo(out);
        return out.toByteArray();
    }

    private static final String[] WS = {"", "", "", " ", "\t", "  ", "\r"};
    private static final String[] NUMBERS = {"0", "-1", "7", "12345678901234567890", "-0", "0.5", "1.50", "-2.0",
        "1e5", "1E+5", "1E-3", "0.001", "1.0E+10", "3.14159", "-0.0", "1e400", "0.0000001", "100"};
    private static final String[] STRINGS = {"", "a", "你好", "😀", "a\\\"b", "\\\\", "\\n\\t", "\\u00e9", "\\/",
        "\\u0000", "é", "\u2028", "x y", "【好】", "\\ud83d\\ude00", "\\ud800", "\\b\\f\\r", "\u007f"};

    private static void randomObject(Random r, StringBuilder sb, int depth) {
        sb.append(ws(r)).append('{');
        int n = r.nextInt(depth == 0 ? 7 : 3);
        for (int i = 0; i < n; i++) {
            if (i > 0) sb.append(ws(r)).append(',');
            sb.append(ws(r)).append('"').append(r.nextInt(4) == 0 ? STRINGS[r.nextInt(STRINGS.length)] : "k" + r.nextInt(6))
                    .append('"').append(ws(r)).append(':').append(ws(r));
            randomValue(r, sb, depth);
        }
        sb.append(ws(r)).append('}').append(ws(r));
    }

    private static void randomValue(Random r, StringBuilder sb, int depth) {
        switch (r.nextInt(depth < 3 ? 7 : 5)) {
            case 0, 1 -> sb.append('"').append(STRINGS[r.nextInt(STRINGS.length)]).append(STRINGS[r.nextInt(STRINGS.length)]).append('"');
            case 2 -> sb.append(NUMBERS[r.nextInt(NUMBERS.length)]);
            case 3 -> sb.append(List.of("true", "false", "null").get(r.nextInt(3)));
            case 4 -> sb.append('"').append(STRINGS[r.nextInt(STRINGS.length)]).append('"');
            case 5 -> randomObject(r, sb, depth + 1);
            default -> {
                sb.append('[');
                int n = r.nextInt(3);
                for (int i = 0; i < n; i++) {
                    if (i > 0) sb.append(ws(r)).append(',');
                    sb.append(ws(r));
                    randomValue(r, sb, depth + 1);
                }
                sb.append(ws(r)).append(']');
            }
        }
    }

    private static String ws(Random r) {
        return WS[r.nextInt(WS.length)];
    }
}
