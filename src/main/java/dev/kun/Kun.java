package dev.kun;

import dev.kun.error.ExitCodes;
import dev.kun.cli.FilterCommand;
import dev.kun.cli.GenerateCommand;
import dev.kun.cli.JudgeCommand;
import dev.kun.error.KunException;
import dev.kun.cli.LabelCommand;
import dev.kun.cli.LoggingOptions;
import dev.kun.cli.PolishCommand;
import dev.kun.cli.RunCommand;
import dev.kun.cli.SeedCommand;
import dev.kun.cli.ServeCommand;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/** Entry point of the kun command line; the only place that exits the process. */
@Command(
        name = "kun",
        mixinStandardHelpOptions = true,
        versionProvider = Kun.Version.class,
        description = "Turns an unlabeled text corpus into an instruction-tuning dataset by instruction"
                + " backtranslation (COIG-Kun / Humpback). Stages read and write JSONL: seed -> label ->"
                + " filter (instruction) -> judge -> polish -> filter (output).",
        exitCodeListHeading = "%nExit codes:%n")
public final class Kun implements Callable<Integer> {

    /**
     * The subcommands, in help order. Registered in code rather than in {@code @Command(subcommands)}
     * so that a run of one command builds only that command's model: picocli reflects over every
     * option of every registered command at start-up, ~0.3 s on one core for all of them.
     */
    private static final Map<String, Supplier<Object>> SUBCOMMANDS = subcommands();

    @Mixin LoggingOptions logging;

    @Spec CommandSpec spec;

    private static Map<String, Supplier<Object>> subcommands() {
        Map<String, Supplier<Object>> m = new LinkedHashMap<>();
        m.put("seed", SeedCommand::new);
        m.put("label", LabelCommand::new);
        m.put("judge", JudgeCommand::new);
        m.put("polish", PolishCommand::new);
        m.put("filter", FilterCommand::new);
        m.put("run", RunCommand::new);
        m.put("generate", GenerateCommand::new);
        m.put("serve", ServeCommand::new);
        m.put("help", CommandLine.HelpCommand::new);
        return m;
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs kun with {@code args} and returns the exit code instead of exiting (tests call this). */
    public static int run(String... args) {
        StderrLogging.showCudaWarnings(StderrLogging.asksForCudaOrDetail(args));
        CommandLine cli = commandLineFor(args);
        try {
            return cli.execute(args);
        } catch (OutOfMemoryError e) {
            // Errors pass picocli's handlers; this one the user can act on.
            System.err.println("kun: out of memory (" + e.getMessage() + "): give the JVM more heap"
                    + " (KUN_JAVA_OPTS=-Xmx8g scripts/kun ...) or lower --max-line-bytes or the batch size");
            return ExitCodes.INTERNAL;
        }
    }

    /**
     * The configured command tree: exit-code table, one-line errors, stack traces only with -v.
     * {@code extraSubcommands} (tests) are added before the settings, so they get them too.
     */
    public static CommandLine commandLine(Object... extraSubcommands) {
        return commandLine(SUBCOMMANDS.keySet(), extraSubcommands);
    }

    /**
     * The command tree {@code args} need: only the named subcommand when the first word names one (not
     * {@code help}, which shows the others), else all of them, so help and "did you mean" see every name.
     */
    static CommandLine commandLineFor(String... args) {
        for (String arg : args) {
            if (arg.startsWith("-")) continue; // -v and other root options come before the command
            return SUBCOMMANDS.containsKey(arg) && !arg.equals("help") ? commandLine(Set.of(arg)) : commandLine();
        }
        return commandLine();
    }

    private static CommandLine commandLine(Set<String> names, Object... extraSubcommands) {
        CommandLine cli = new CommandLine(new Kun());
        SUBCOMMANDS.forEach((name, command) -> {
            if (names.contains(name)) cli.addSubcommand(name, command.get());
        });
        for (Object sub : extraSubcommands) cli.addSubcommand(sub);
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        // Keep --help's table and the ExitCodes constants in one place, shown by every command.
        setExitCodeList(cli);
        cli.setExitCodeExceptionMapper(e -> e instanceof KunException k ? k.exitCode() : ExitCodes.INTERNAL);
        cli.setParameterExceptionHandler((e, args) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println("kun: " + e.getMessage());
            err.println("Try '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
            err.flush();
            return ExitCodes.USAGE;
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            boolean verbose = verbose(parseResult);
            if (e instanceof KunException k) {
                err.println("kun: " + k.getMessage());
                if (verbose) e.printStackTrace(err);
                err.flush();
                return k.exitCode();
            }
            err.println("kun: internal error: " + e + (verbose ? "" : " (rerun with --verbose for the stack trace)"));
            if (verbose) e.printStackTrace(err);
            err.flush();
            return ExitCodes.INTERNAL;
        });
        return cli;
    }

    private static void setExitCodeList(CommandLine cli) {
        cli.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n").exitCodeList(ExitCodes.helpMap());
        cli.getSubcommands().values().forEach(Kun::setExitCodeList);
    }

    private static boolean verbose(ParseResult result) {
        for (ParseResult r = result; r != null; r = r.subcommand()) {
            if (r.hasMatchedOption("--verbose")) return true;
        }
        return false;
    }

    @Override
    public Integer call() {
        // `kun` alone: show what there is to run (the tree built for this run holds every subcommand).
        spec.commandLine().usage(System.err);
        return ExitCodes.USAGE;
    }

    /** Reads the version from the jar manifest; "dev" when run from classes. */
    public static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Kun.class.getPackage().getImplementationVersion();
            return new String[] {"kun " + (v == null ? "dev" : v)};
        }
    }
}
