package dev.kun.error;

import java.util.LinkedHashMap;
import java.util.Map;

/** The process exit codes of kun, in one place: {@code --help} and the exception mapper both read them. */
public final class ExitCodes {
    public static final int OK = 0;
    public static final int INTERNAL = 1;
    public static final int USAGE = 2;
    public static final int BAD_INPUT = 3;
    public static final int BACKEND = 4;
    /** The machine, not the input or the arguments: a disk full, a read-only file system, an output that cannot be written. */
    public static final int ENVIRONMENT = 5;
    /** 128 + SIGINT, as a shell reports a process stopped by Ctrl-C. */
    public static final int INTERRUPTED = 130;

    /** Rows for picocli's {@code exitCodeList}: "code:description". */
    public static final String[] HELP_LIST = {
        " 0:ok",
        " 1:internal error (a bug: rerun with --verbose and report it)",
        " 2:usage error (bad option, or a checkpoint from different arguments)",
        " 3:bad input (the message names file and line)",
        " 4:model or backend failure",
        " 5:environment: disk full or unwritable output",
        " 130:interrupted (Ctrl-C); rerun the same command to resume",
    };

    private ExitCodes() {}

    /** {@link #HELP_LIST} as the map picocli's usage message takes. */
    public static Map<String, String> helpMap() {
        Map<String, String> map = new LinkedHashMap<>();
        for (String row : HELP_LIST) {
            int colon = row.indexOf(':');
            map.put(row.substring(0, colon), row.substring(colon + 1));
        }
        return map;
    }
}
