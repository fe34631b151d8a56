package dev.kun.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code -v/--verbose}: debug logging and stack traces on errors. Mixed into the root command only:
 * its INHERIT scope gives it to every subcommand, so a subcommand must not mix it in again (picocli
 * rejects the duplicate {@code -v}).
 */
public final class LoggingOptions {
    private boolean verbose;

    @Option(
            names = {"-v", "--verbose"},
            scope = ScopeType.INHERIT,
            description = "Log debug detail to stderr and print stack traces with errors.")
    public void setVerbose(boolean verbose) {
        this.verbose = verbose;
        org.slf4j.Logger root = LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        if (root instanceof Logger logback) {
            logback.setLevel(verbose ? Level.DEBUG : Level.INFO);
        }
    }

    public boolean verbose() {
        return verbose;
    }
}
