package dev.kun.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resident memory of this process from /proc/self/status (Linux). */
final class ProcessMemory {
    private ProcessMemory() {}

    /** Peak resident set (VmHWM) in bytes, or -1 when /proc is unavailable. */
    static long peakRssBytes() {
        return statusKb("VmHWM:") * 1024;
    }

    static long rssBytes() {
        return statusKb("VmRSS:") * 1024;
    }

    /** Resident memory split as /proc shows it: anonymous (heap, tensors), file-backed (code, maps), peak. */
    static String breakdown() {
        return String.format("RSS %.0f MB (anon %.0f, file %.0f), peak %.0f MB", statusKb("VmRSS") / 1e3,
                statusKb("RssAnon") / 1e3, statusKb("RssFile") / 1e3, statusKb("VmHWM") / 1e3);
    }

    /** Resets VmHWM to the current RSS (writing 5 to clear_refs, Linux 4.0+); false when refused. */
    static boolean resetPeak() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (IOException | SecurityException e) {
            return false;
        }
    }

    private static long statusKb(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key)) return Long.parseLong(line.replaceAll("\\D", ""));
            }
        } catch (IOException e) {
            return -1;
        }
        return -1;
    }
}
