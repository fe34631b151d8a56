package dev.kun.model.llama;

import dev.kun.model.checkpoint.MemoryWeights;
import dev.kun.testing.TinyCheckpoint;

/**
 * A deliberately plain Llama forward in Java doubles, straight from the Hugging Face modelling code
 * (separate q/k/v, repeated kv heads, rotate-half rotary, no cache), to check the DJL forward against.
 */
final class ReferenceLlama {
    private final TinyCheckpoint c;

    ReferenceLlama(TinyCheckpoint c) {
        this.c = c;
    }

    private float[] w(String name) {
        return MemoryWeights.stored(c, name);
    }

    /** Logits (T x vocab) at every position of {@code tokens}. */
    double[][] logits(int[] tokens) {
        int h = c.hidden(), d = c.effectiveHeadDim(), nH = c.heads(), nKv = c.kvHeads(), inter = c.intermediate();
        int t = tokens.length;
        double[][] x = new double[t][h];
        float[] emb = w("model.embed_tokens.weight");
        for (int i = 0; i < t; i++) for (int j = 0; j < h; j++) x[i][j] = emb[tokens[i] * h + j];
        boolean bias = c.modelType().equals("qwen2");
        double factor = "linear".equals(c.ropeScalingType()) ? c.ropeScalingFactor() : 1;
        for (int l = 0; l < c.layers(); l++) {
            String p = "model.layers." + l + ".";
            double[][] hn = norm(x, w(p + "input_layernorm.weight"));
            double[][] q = mat(hn, w(p + "self_attn.q_proj.weight"), nH * d, bias ? w(p + "self_attn.q_proj.bias") : null);
            double[][] k = mat(hn, w(p + "self_attn.k_proj.weight"), nKv * d, bias ? w(p + "self_attn.k_proj.bias") : null);
            double[][] v = mat(hn, w(p + "self_attn.v_proj.weight"), nKv * d, bias ? w(p + "self_attn.v_proj.bias") : null);
            for (int i = 0; i < t; i++) {
                rope(q[i], nH, d, i / factor);
                rope(k[i], nKv, d, i / factor);
            }
            double[][] att = new double[t][nH * d];
            for (int head = 0; head < nH; head++) {
                int kvh = head / (nH / nKv);
                for (int i = 0; i < t; i++) {
                    double[] s = new double[i + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= i; j++) {
                        double dot = 0;
                        for (int e = 0; e < d; e++) dot += q[i][head * d + e] * k[j][kvh * d + e];
                        s[j] = dot / Math.sqrt(d);
                        max = Math.max(max, s[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j <= i; j++) sum += s[j] = Math.exp(s[j] - max);
                    for (int j = 0; j <= i; j++) for (int e = 0; e < d; e++) att[i][head * d + e] += s[j] / sum * v[j][kvh * d + e];
                }
            }
            add(x, mat(att, w(p + "self_attn.o_proj.weight"), h, null));
            double[][] hm = norm(x, w(p + "post_attention_layernorm.weight"));
            double[][] g = mat(hm, w(p + "mlp.gate_proj.weight"), inter, null);
            double[][] u = mat(hm, w(p + "mlp.up_proj.weight"), inter, null);
            for (int i = 0; i < t; i++) for (int j = 0; j < inter; j++) g[i][j] = g[i][j] / (1 + Math.exp(-g[i][j])) * u[i][j];
            add(x, mat(g, w(p + "mlp.down_proj.weight"), h, null));
        }
        double[][] xn = norm(x, w("model.norm.weight"));
        float[] head = c.tied() ? emb : w("lm_head.weight");
        return mat(xn, head, c.vocab(), null);
    }

    private void rope(double[] x, int heads, int d, double pos) {
        int half = d / 2;
        for (int hd = 0; hd < heads; hd++) {
            for (int i = 0; i < half; i++) {
                double angle = pos * Math.pow(c.ropeTheta(), -2.0 * i / d);
                double a = x[hd * d + i], b = x[hd * d + i + half];
                x[hd * d + i] = a * Math.cos(angle) - b * Math.sin(angle);
                x[hd * d + i + half] = b * Math.cos(angle) + a * Math.sin(angle);
            }
        }
    }

    private double[][] norm(double[][] x, float[] weight) {
        double[][] out = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            double ss = 0;
            for (double v : x[i]) ss += v * v;
            double r = 1 / Math.sqrt(ss / x[i].length + c.rmsNormEps());
            out[i] = new double[x[i].length];
            for (int j = 0; j < x[i].length; j++) out[i][j] = x[i][j] * r * weight[j];
        }
        return out;
    }

    private static double[][] mat(double[][] x, float[] w, int out, float[] bias) {
        int in = x[0].length;
        double[][] y = new double[x.length][out];
        for (int i = 0; i < x.length; i++) {
            for (int o = 0; o < out; o++) {
                double s = bias == null ? 0 : bias[o];
                for (int j = 0; j < in; j++) s += x[i][j] * w[o * in + j];
                y[i][o] = s;
            }
        }
        return y;
    }

    private static void add(double[][] x, double[][] y) {
        for (int i = 0; i < x.length; i++) for (int j = 0; j < x[i].length; j++) x[i][j] += y[i][j];
    }
}
