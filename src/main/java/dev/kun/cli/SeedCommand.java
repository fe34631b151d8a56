package dev.kun.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/** {@code kun seed}: loads a corpus into records (placeholder until the seed stage lands). */
@Command(name = "seed", mixinStandardHelpOptions = true, description = "Load a corpus (JSONL, plain text, seed-instruction sets) into cleaned, deduplicated records.")
public final class SeedCommand implements Callable<Integer> {

    @Unmatched List<String> ignored;

    @Override
    public Integer call() {
        throw KunException.usage("kun seed: not available yet");
    }
}
