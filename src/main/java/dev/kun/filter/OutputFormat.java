package dev.kun.filter;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.record.KunRecord;

/**
 * How the filter writes a kept record: {@code jsonl} passes every field through; {@code alpaca}
 * writes the method's final dataset shape, {@code {instruction, input, output}} in that order, with
 * {@code input} "" when absent (the output rules drop it, and the original's answer stage left it empty).
 */
public enum OutputFormat {
    JSONL,
    ALPACA;

    /** The record as this format writes it; alpaca needs instruction and output (else bad input). */
    public KunRecord project(KunRecord record) {
        if (this == JSONL) {
            return record;
        }
        String instruction = MissingFieldException.require(record, KunRecord.INSTRUCTION);
        String input = record.has(KunRecord.INPUT) && !record.json().get(KunRecord.INPUT).isNull()
                ? MissingFieldException.require(record, KunRecord.INPUT)
                : "";
        String output = MissingFieldException.require(record, KunRecord.OUTPUT);
        ObjectNode json = JsonNodeFactory.instance.objectNode();
        json.put(KunRecord.INSTRUCTION, instruction);
        json.put(KunRecord.INPUT, input);
        json.put(KunRecord.OUTPUT, output);
        return new KunRecord(json);
    }

    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
