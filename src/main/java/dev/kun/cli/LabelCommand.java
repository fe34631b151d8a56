package dev.kun.cli;

import dev.kun.error.KunException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/** {@code kun label}: writes an instruction for each document with the label model; comes with the model stages. */
@Command(name = "label", mixinStandardHelpOptions = true, description = "Write the instruction each document answers (label model). Not available yet.")
public final class LabelCommand implements Callable<Integer> {

    @Unmatched List<String> ignored;

    @Override
    public Integer call() {
        throw KunException.usage("label: not available yet (the model stages come in a later issue)");
    }
}
