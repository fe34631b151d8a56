package dev.kun.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/** {@code kun generate}: plain generation with a model (placeholder until the engine lands). */
@Command(name = "generate", mixinStandardHelpOptions = true, description = "Complete prompts with a model.")
public final class GenerateCommand implements Callable<Integer> {

    @Unmatched List<String> ignored;

    @Override
    public Integer call() {
        throw KunException.usage("kun generate: not available yet");
    }
}
