package dev.kun.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/** {@code kun filter}: the method's rule filters (placeholder until the filter stage lands). */
@Command(name = "filter", mixinStandardHelpOptions = true, description = "Apply the method's rule filters (instruction, verdict, output).")
public final class FilterCommand implements Callable<Integer> {

    @Unmatched List<String> ignored;

    @Override
    public Integer call() {
        throw KunException.usage("kun filter: not available yet");
    }
}
