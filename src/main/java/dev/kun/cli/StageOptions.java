package dev.kun.cli;

import dev.kun.error.KunException;
import dev.kun.filter.RuleSet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Fills a stage command's options (those of {@code kun seed}, {@code kun label}, {@code kun filter}, ...)
 * from layers of {@link StageSettings}, a later layer's value replacing an earlier one's, by parsing them
 * as that command's own command line: every default, conversion and check of the command applies, and a
 * stage of {@code kun run} is configured exactly as the command is. Where records come from and go to is
 * the run's business, so the input and output options are not settings.
 */
final class StageOptions {
    private StageOptions() {}

    /**
     * Parses {@code layers} into {@code command}; an unknown or excluded setting, or a value the command
     * refuses, is a usage error naming its source.
     *
     * @param excluded options of the command that are not settings of this stage, besides input and output
     */
    static <T> T parse(T command, String stage, List<StageSettings> layers, Set<String> excluded) {
        CommandLine cli = new CommandLine(command);
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        CommandSpec spec = cli.getCommandSpec();
        Set<String> settings = settingNames(spec, excluded);
        Map<String, StageSettings> from = new LinkedHashMap<>();
        for (StageSettings layer : layers) {
            for (String name : layer.values().keySet()) {
                if (!settings.contains(name)) {
                    throw KunException.usage(layer.source() + ": " + stage + " has no setting '" + StageSettings.key(name)
                            + "' (its settings: " + String.join(", ", keys(settings)) + ")");
                }
                from.remove(name); // the later layer's value, in its order
                from.put(name, layer);
            }
        }
        List<String> args = new ArrayList<>();
        for (Map.Entry<String, StageSettings> e : from.entrySet()) {
            String name = e.getKey();
            StageSettings layer = e.getValue();
            OptionSpec option = spec.findOption(name);
            for (String value : layer.values().get(name)) {
                if (option.arity().max() == 0) {
                    // A flag: true sets it, false leaves the command's default (off).
                    if (value.equalsIgnoreCase("true")) {
                        args.add(name);
                    } else if (!value.equalsIgnoreCase("false")) {
                        throw KunException.usage(layer.source() + ": " + StageSettings.key(name) + " is true or false, not " + value);
                    }
                } else {
                    args.add(name);
                    args.add(resolve(option, value, layer.baseDir()));
                }
            }
        }
        try {
            cli.parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            throw KunException.usage(stage + ": " + e.getMessage() + " (from " + sources(from) + ")");
        }
        return command;
    }

    /** The long names of {@code spec}'s options that a stage may set. */
    static Set<String> settingNames(CommandSpec spec, Set<String> excluded) {
        Set<String> io = new TreeSet<>();
        for (CommandSpec mixin : spec.mixins().values()) {
            Object user = mixin.userObject();
            if (user instanceof IoOptions || user instanceof InputFormatOptions) {
                mixin.options().forEach(o -> io.add(o.longestName()));
            }
        }
        Set<String> names = new TreeSet<>();
        for (OptionSpec o : spec.options()) {
            String name = o.longestName();
            if (o.usageHelp() || o.versionHelp() || io.contains(name) || excluded.contains(name)) continue;
            names.add(name);
        }
        return names;
    }

    private static List<String> keys(Set<String> names) {
        return names.stream().map(StageSettings::key).toList();
    }

    /**
     * A relative path from the config file names something beside it: taken from there when it exists,
     * else as given (relative to the working directory, or a name the command resolves itself).
     */
    private static String resolve(OptionSpec option, String value, Path baseDir) {
        // --rules takes a named set or a file; a named set wins over a file of its name, as in kun filter.
        boolean ruleFile = option.longestName().equals("--rules") && !RuleSet.NAMES.contains(value);
        if (baseDir == null || (option.type() != Path.class && !ruleFile)) return value;
        Path p = Path.of(value);
        if (p.isAbsolute()) return value;
        Path beside = baseDir.resolve(p);
        return Files.exists(beside) ? beside.toString() : value;
    }

    private static String sources(Map<String, StageSettings> from) {
        return String.join(", ", new TreeSet<>(from.values().stream().map(StageSettings::source).toList()));
    }
}
