package dev.kun.cli;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Settings of one stage of {@code kun run} from one source (the config file, or the command line), as a
 * command line would give them: long option name ({@code --top-p}) to its values as text, in order.
 * {@code baseDir}, when not null, is the directory a relative path value is resolved against (the
 * config file's).
 *
 * @param source where the settings come from, for error messages ("pipeline.yaml: stages.label")
 */
record StageSettings(String source, Path baseDir, Map<String, List<String>> values) {

    StageSettings {
        values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    static StageSettings empty(String source) {
        return new StageSettings(source, null, Map.of());
    }

    /** Settings from {@code source} with one option set. */
    static StageSettings of(String source, String option, String... values) {
        return new StageSettings(source, null, Map.of(option, List.of(values)));
    }

    /** The option name a config key stands for: {@code top_p} and {@code top-p} are {@code --top-p}. */
    static String optionName(String key) {
        return "--" + key.replace('_', '-');
    }

    /** The config key of an option name: {@code --top-p} is {@code top_p}. */
    static String key(String optionName) {
        return optionName.replaceFirst("^-+", "").replace('-', '_');
    }

    /** These settings without the options in {@code names}. */
    StageSettings without(java.util.Collection<String> names) {
        Map<String, List<String>> kept = new LinkedHashMap<>(values);
        kept.keySet().removeAll(names);
        return new StageSettings(source, baseDir, kept);
    }

    /** These settings with only the options in {@code names}. */
    StageSettings only(java.util.Collection<String> names) {
        Map<String, List<String>> kept = new LinkedHashMap<>(values);
        kept.keySet().retainAll(names);
        return new StageSettings(source, baseDir, kept);
    }
}
