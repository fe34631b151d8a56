package dev.kun.filter;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The judged examples inside the point prompt's exact bytes: {@code -【instruction】答：【好|差】}. */
final class PointPromptExamples {
    record Example(String instruction, String verdict) {}

    private PointPromptExamples() {}

    static List<Example> all() {
        String prompt;
        try (InputStream in = PointPromptExamples.class.getResourceAsStream("/prompts/point-prompt.txt")) {
            prompt = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        // Examples start after "示例：" and are separated by "-".
        String examples = prompt.substring(prompt.indexOf("示例："));
        Matcher m = Pattern.compile("-【(.*?)】答：(【[好差]】)", Pattern.DOTALL).matcher(examples);
        List<Example> out = new ArrayList<>();
        while (m.find()) {
            out.add(new Example(m.group(1), m.group(2)));
        }
        return out;
    }
}
