package dev.kun.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kun.testing.Fixtures;
import dev.kun.testing.SyntheticLines;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Java SentencePiece BPE gives the ids SentencePiece's own encoder gives, id by id, on 10,000
 * synthetic lines (Chinese, rare characters that fall back to bytes or to unknown, English, digits,
 * emoji, other scripts, whitespace runs), for three models trained by spm_train: Llama-style,
 * Yi-style and spm_train's defaults (nmt_nfkc normalization, user-defined pieces). Models and the ids
 * spm_encode printed are committed (scripts/make-sentencepiece-fixtures.sh), so no tool is needed.
 */
public class SentencePieceModelTest {
    static final int LINES = 10_000;
    static final long SEED = 15;

    /** The committed model {@code name}, unpacked to a temporary file. */
    public static Path model(String name) throws IOException {
        Path out = Files.createTempFile("kun-" + name, ".model");
        out.toFile().deleteOnExit();
        try (InputStream in = new GZIPInputStream(Files.newInputStream(Fixtures.resource(
                "/dev/kun/model/tokenizer/sentencepiece/" + name + ".model.gz")))) {
            Files.write(out, in.readAllBytes());
        }
        return out;
    }

    /** The ids spm_encode printed for {@link SyntheticLines} with {@link #SEED}, one array per line. */
    static List<int[]> expectedIds(String name) throws IOException {
        List<int[]> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(
                Fixtures.resource("/dev/kun/model/tokenizer/sentencepiece/" + name + ".ids.gz"))), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                out.add(line.isEmpty() ? new int[0] : Arrays.stream(line.split(" ")).mapToInt(Integer::parseInt).toArray());
            }
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-style", "yi-style", "nfkc"})
    void idsEqualSpmEncodeOnEveryLine(String name) throws IOException {
        SentencePieceModel m = SentencePieceModel.load(model(name));
        List<String> lines = SyntheticLines.generate(SEED, LINES);
        List<int[]> expected = expectedIds(name);
        assertEquals(LINES, expected.size());
        int wrong = 0;
        StringBuilder first = new StringBuilder();
        for (int i = 0; i < LINES; i++) {
            int[] got = m.encode(lines.get(i));
            if (!Arrays.equals(expected.get(i), got)) {
                if (wrong++ < 3) {
                    first.append("\nline ").append(i + 1).append(" '").append(lines.get(i)).append("'\n  spm ")
                            .append(Arrays.toString(expected.get(i))).append("\n  got ").append(Arrays.toString(got));
                }
            }
        }
        assertEquals(0, wrong, wrong + " of " + LINES + " lines differ:" + first);
    }

    /**
     * Every line of the shared corpus's texts (CMRC paragraphs, the seed set's instructions and answers),
     * encoded by spm_encode now and by the Java model: run only where Debian's sentencepiece tools and
     * the shared data are present (the committed ids above are what CI checks).
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama-style", "yi-style", "nfkc"})
    void idsEqualSpmEncodeOnTheSharedCorpusWhenTheToolIsHere(String name) throws Exception {
        Path spm = Path.of("/usr/bin/spm_encode");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(spm), "spm_encode is not installed");
        java.util.Optional<Path> data = Fixtures.sharedData();
        org.junit.jupiter.api.Assumptions.assumeTrue(data.isPresent(), "no shared data beside the clone");
        List<String> lines = new ArrayList<>();
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        for (String file : List.of("corpus-cmrc2018.jsonl", "seed-coig-kun.jsonl")) {
            for (String record : Files.readAllLines(data.get().resolve(file))) {
                if (record.isBlank()) continue;
                var fields = json.readTree(record).fields();
                while (fields.hasNext()) {
                    var f = fields.next();
                    if (!f.getValue().isTextual()) continue;
                    for (String line : f.getValue().asText().split("\n")) if (!line.isBlank()) lines.add(line);
                }
            }
        }
        assertTrue(lines.size() > 10_000, lines.size() + " lines");
        Path model = model(name);
        Path in = Files.createTempFile("kun-spm", ".txt");
        try {
            Files.write(in, lines, StandardCharsets.UTF_8);
            Process p = new ProcessBuilder(spm.toString(), "--model=" + model, "--output_format=id", "--input=" + in)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            List<String> out;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                out = r.lines().toList();
            }
            assertEquals(0, p.waitFor());
            assertEquals(lines.size(), out.size());
            SentencePieceModel m = SentencePieceModel.load(model);
            int wrong = 0;
            String first = "";
            for (int i = 0; i < lines.size(); i++) {
                String got = Arrays.stream(m.encode(lines.get(i))).mapToObj(Integer::toString).collect(java.util.stream.Collectors.joining(" "));
                if (!got.equals(out.get(i)) && wrong++ == 0) first = "\n" + lines.get(i) + "\n  spm " + out.get(i) + "\n  got " + got;
            }
            assertEquals(0, wrong, wrong + " of " + lines.size() + " lines differ" + first);
        } finally {
            Files.delete(in);
        }
    }
}
