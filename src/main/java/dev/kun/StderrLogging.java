package dev.kun;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * Logback's configuration in code (found through META-INF/services): every log line goes to stderr,
 * because stdout carries data only; DJL and Jetty are chatty at INFO, so WARN. Code rather than
 * logback.xml because parsing XML costs every kun command about 0.2 CPU seconds at start-up.
 *
 * <p>DJL's CUDA probe ({@code CudaUtils}) asks the CUDA runtime for the GPU count whenever the engine
 * starts, whatever the device, and warns (several times a run) when a CUDA library is present but the
 * driver is missing or too old. For a run on the CPU that is noise, so it shows only when the command
 * asks for CUDA ({@code --device cuda...}, {@code --devices}) or for detail ({@code -v}): see
 * {@link #showCudaWarnings}, which {@code Kun.run} calls before anything logs.
 */
public final class StderrLogging extends ContextAwareBase implements Configurator {
    private static final String CUDA_PROBE = "ai.djl.util.cuda.CudaUtils";
    private static volatile boolean cudaWarnings;
    /** The context once logback has started (tests run several commands in one JVM). */
    private static volatile LoggerContext started;

    /** Whether this run shows DJL's CUDA warnings; cheap before logback starts (it only sets a flag). */
    public static void showCudaWarnings(boolean show) {
        cudaWarnings = show;
        LoggerContext context = started;
        if (context != null) applyCudaLevel(context);
    }

    /** True when {@code args} ask for a CUDA device or for verbose logging. */
    public static boolean asksForCudaOrDetail(String... args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-v") || a.equals("--verbose") || a.equals("--devices") || a.startsWith("--devices=")) return true;
            String device = a.startsWith("--device=") ? a.substring("--device=".length())
                    : a.equals("--device") && i + 1 < args.length ? args[i + 1] : null;
            if (device != null) {
                String d = device.trim().toLowerCase(java.util.Locale.ROOT);
                if (d.startsWith("cuda") || d.startsWith("gpu")) return true;
            }
        }
        return false;
    }

    private static void applyCudaLevel(LoggerContext context) {
        context.getLogger(CUDA_PROBE).setLevel(cudaWarnings ? null : Level.ERROR);
    }

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%d{HH:mm:ss.SSS} %-5level %logger{0}: %msg%n");
        encoder.start();
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("STDERR");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(stderr);
        context.getLogger("ai.djl").setLevel(Level.WARN);
        // Jetty (kun serve) logs its start and stop at INFO; kun says what matters itself.
        context.getLogger("org.eclipse.jetty").setLevel(Level.WARN);
        applyCudaLevel(context);
        started = context;
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}
