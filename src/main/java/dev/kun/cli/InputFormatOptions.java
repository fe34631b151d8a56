package dev.kun.cli;

import dev.kun.record.InputFormat;
import dev.kun.record.SplitMode;
import picocli.CommandLine.Option;

/** How input files are read: JSONL (or a JSON array) versus plain text, and how plain text splits into records. */
public final class InputFormatOptions {

    @Option(
            names = "--input-format",
            paramLabel = "auto|jsonl|text",
            description = "auto: *.txt and *.txt.gz are plain text, everything else (and stdin) JSONL; a file whose"
                    + " first character is [ is read as one JSON array of records. (default: auto)")
    public InputFormat inputFormat = InputFormat.AUTO;

    @Option(
            names = "--split",
            paramLabel = "paragraph|line|file",
            description = "How plain text becomes records: blank-line separated paragraphs, lines, or whole files."
                    + " (default: ${DEFAULT-VALUE})")
    public SplitMode split = SplitMode.PARAGRAPH;
}
