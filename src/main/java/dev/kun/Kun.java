package dev.kun;

/** Entry point of the kun command line; the only place that exits the process. */
public final class Kun {
    private Kun() {}

    public static void main(String[] args) {
        System.err.println("kun: not wired yet");
        System.exit(1);
    }
}
