package dev.kun.cli;

import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import picocli.CommandLine;

/** Runs one command object (with a fake backend) as Kun.run would: KunException becomes its exit code and one line. */
final class StageCommands {
    private StageCommands() {}

    static int execute(Object command, String... args) {
        CommandLine cli = new CommandLine(command).setCaseInsensitiveEnumValuesAllowed(true);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("kun: " + e.getMessage());
            commandLine.getErr().flush();
            return e instanceof KunException k ? k.exitCode() : ExitCodes.INTERNAL;
        });
        return cli.execute(args);
    }
}
