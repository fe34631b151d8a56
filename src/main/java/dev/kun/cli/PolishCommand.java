package dev.kun.cli;

import dev.kun.error.KunException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/** {@code kun polish}: polishes each document into an answer with the answer model; comes with the model stages. */
@Command(name = "polish", mixinStandardHelpOptions = true, description = "Polish each document into an answer to its instruction (answer model). Not available yet.")
public final class PolishCommand implements Callable<Integer> {

    @Unmatched List<String> ignored;

    @Override
    public Integer call() {
        throw KunException.usage("polish: not available yet (the model stages come in a later issue)");
    }
}
