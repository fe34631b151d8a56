package dev.kun.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.kun.error.KunException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code kun run --config pipeline.yaml}: settings for the run's model stages at the top level (model,
 * device, sampling, ...: every model stage that does not set its own takes them), and each stage's own
 * settings under {@code stages.<name>}. A key is the option of the same name with underscores for dashes
 * ({@code top_p} is {@code --top-p}); a list gives a repeatable option several values; {@code true} sets a
 * flag. Relative paths are resolved against the file's directory when they name something there.
 *
 * <pre>
 * model: /models/Kun-LabelModel
 * temperature: 0.5
 * stages:
 *   judge: {model: /models/Kun-PointModel, max_tokens: 64}
 *   output_rules: {rules: my-output-rules.json}
 * </pre>
 */
record PipelineConfig(Path file, StageSettings shared, Map<String, StageSettings> stages) {

    static final String STAGES = "stages";

    /** No file: nothing set. */
    static PipelineConfig none() {
        return new PipelineConfig(null, StageSettings.empty("--config"), Map.of());
    }

    static PipelineConfig load(Path file) {
        JsonNode root;
        try {
            root = new YAMLMapper().readTree(Files.readString(file));
        } catch (IOException e) {
            String why = e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage().split("\n")[0];
            throw KunException.usage("--config " + file + ": " + why);
        }
        if (root == null || root.isMissingNode() || root.isNull()) return new PipelineConfig(file, StageSettings.empty(file.toString()), Map.of());
        if (!(root instanceof ObjectNode top)) throw KunException.usage(file + ": expected a mapping of settings at the top");
        Path dir = file.toAbsolutePath().getParent();
        Map<String, StageSettings> stages = new LinkedHashMap<>();
        JsonNode stagesNode = top.get(STAGES);
        if (stagesNode != null && !stagesNode.isNull()) {
            if (!(stagesNode instanceof ObjectNode s)) throw KunException.usage(file + ": '" + STAGES + "' must map stage names to settings");
            for (Iterator<Map.Entry<String, JsonNode>> it = s.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String where = file + ": " + STAGES + "." + e.getKey();
                if (e.getValue().isNull()) {
                    stages.put(e.getKey(), new StageSettings(where, dir, Map.of()));
                } else if (e.getValue() instanceof ObjectNode section) {
                    stages.put(e.getKey(), settings(where, dir, section));
                } else {
                    throw KunException.usage(where + ": expected a mapping of settings");
                }
            }
        }
        ObjectNode shared = top.deepCopy();
        shared.remove(STAGES);
        return new PipelineConfig(file, settings(file.toString(), dir, shared), stages);
    }

    private static StageSettings settings(String where, Path dir, ObjectNode node) {
        Map<String, List<String>> values = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            if (v.isNull()) continue;
            List<String> texts = new ArrayList<>();
            if (v.isArray()) {
                for (JsonNode item : v) texts.add(scalar(where, e.getKey(), item));
            } else {
                texts.add(scalar(where, e.getKey(), v));
            }
            values.put(StageSettings.optionName(e.getKey()), texts);
        }
        return new StageSettings(where, dir, values);
    }

    private static String scalar(String where, String key, JsonNode v) {
        if (!v.isValueNode()) throw KunException.usage(where + ": '" + key + "' must be a value or a list of values");
        return v.asText();
    }

    /** The settings file's own settings of stage {@code name} (empty when it has none). */
    StageSettings stage(String name) {
        StageSettings s = stages.get(name);
        return s != null ? s : StageSettings.empty(file == null ? "--config" : file + ": " + STAGES + "." + name);
    }
}
