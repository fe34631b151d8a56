package dev.kun.cli;

import dev.kun.error.KunException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/** {@code kun run}: runs the whole pipeline; comes with the model stages. */
@Command(name = "run", mixinStandardHelpOptions = true, description = "Run seed, label, point, polish and filter in one go. Not available yet.")
public final class RunCommand implements Callable<Integer> {

    @Unmatched List<String> ignored;

    @Override
    public Integer call() {
        throw KunException.usage("run: not available yet (the model stages come in a later issue)");
    }
}
