package dev.kun.serve;

import dev.kun.testing.TinyCheckpoint;
import java.nio.file.Path;

/**
 * Writes the tiny checkpoint scripts/check-serve.sh serves (a random Llama with a ChatML chat template,
 * 256 positions), so the curl check runs in seconds without a real model.
 * Usage: {@code java -cp CLASSPATH dev.kun.serve.CheckServeModel DIR}.
 */
public final class CheckServeModel {
    private CheckServeModel() {}

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: CheckServeModel DIR");
            System.exit(2);
        }
        TinyCheckpoint.builder().gqa(4, 2).vocab(600).maxPositions(256).seed(3).write(Path.of(args[0]));
    }
}
