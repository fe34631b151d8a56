package dev.kun.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Compares formulations of the decode matrix-vector products on the benchmark shape (hidden 768,
 * 12 layers, intermediate 2048, vocab 32000), to choose the layout Llama uses. Not run by surefire.
 * Run: java -cp target/classes:target/test-classes:$(cat target/bench-classpath.txt) dev.kun.bench.MatvecBenchmark [threads]
 * (-Dshort=true: linear against a 1x1 convolution only; -Dreps=N)
 */
public final class MatvecBenchmark {
    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        ai.djl.engine.Engine.getEngine("PyTorch");
        JniUtils.setNumThreads(threads);
        System.err.println("threads=" + JniUtils.getNumThreads() + " interop=" + JniUtils.getNumInteropThreads());
        int h = 768, inter = 2048, layers = 12, vocab = 32000;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray[][] w = new NDArray[layers][];
            NDArray[][] wt = new NDArray[layers][];
            for (int l = 0; l < layers; l++) {
                w[l] = new NDArray[] {
                    m.randomNormal(new Shape(3 * h, h)), m.randomNormal(new Shape(h, h)),
                    m.randomNormal(new Shape(2 * inter, h)), m.randomNormal(new Shape(h, inter))};
                wt[l] = new NDArray[4];
                for (int i = 0; i < 4; i++) wt[l][i] = w[l][i].transpose().duplicate();
            }
            NDArray[][] wc = new NDArray[layers][4];
            NDArray[][] wtb = new NDArray[layers][4];
            for (int l = 0; l < layers; l++) for (int i = 0; i < 4; i++) { wc[l][i] = w[l][i].expandDims(2); wtb[l][i] = wt[l][i].expandDims(0); }
            NDArray head = m.randomNormal(new Shape(vocab, h));
            NDArray headT = head.transpose().duplicate();
            long bytes = 4L * (layers * (3L * h * h + h * h + 2L * inter * h + (long) h * inter) + (long) vocab * h);
            System.err.printf("weights %.1f MB%n", bytes / 1e6);
            // STREAM-like copy bandwidth: clone of the head weights (read + write)
            for (int r = 0; r < 3; r++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < 10; i++) try (NDArray c = head.duplicate()) {}
                double s = (System.nanoTime() - t0) / 1e9;
                System.err.printf("clone bandwidth %.1f GB/s (read+write)%n", 10 * 2.0 * head.size() * 4 / s / 1e9);
            }
            for (int batch : new int[] {1}) {
                NDArray xh = m.randomNormal(new Shape(batch, h));
                NDArray xi = m.randomNormal(new Shape(batch, inter));
                for (int rep = 0; rep < Integer.getInteger("reps", 3); rep++) {
                    run("linear W(out,in)", batch, bytes, () -> {
                        try (NDManager s = m.newSubManager()) {
                            for (int l = 0; l < layers; l++) {
                                lin(xh, w[l][0], s); lin(xh, w[l][1], s); lin(xh, w[l][2], s); lin(xi, w[l][3], s);
                            }
                            lin(xh, head, s);
                        }
                    });
                    if (Boolean.getBoolean("short")) {
                        run("conv1x1 W(out,in,1)", batch, bytes, () -> {
                            try (NDManager s = m.newSubManager()) {
                                NDArray xc = xh.expandDims(2); NDArray xic = xi.expandDims(2);
                                xc.attach(s); xic.attach(s);
                                for (int l = 0; l < layers; l++) {
                                    for (int i = 0; i < 4; i++) {
                                        NDArray y = ai.djl.pytorch.jni.JniUtils.convolution((ai.djl.pytorch.engine.PtNDArray) (i == 3 ? xic : xc),
                                                (ai.djl.pytorch.engine.PtNDArray) wc[l][i], null, new Shape(1), new Shape(0), new Shape(1), 1);
                                        y.attach(s);
                                    }
                                }
                            }
                        });
                        continue;
                    }
                    run("matMul Wt(in,out)", batch, bytes, () -> {
                        try (NDManager s = m.newSubManager()) {
                            for (int l = 0; l < layers; l++) {
                                mm(xh, wt[l][0], s); mm(xh, wt[l][1], s); mm(xh, wt[l][2], s); mm(xi, wt[l][3], s);
                            }
                            mm(xh, headT, s);
                        }
                    });
                    run("W.matMul(x^T)", batch, bytes, () -> {
                        try (NDManager s = m.newSubManager()) {
                            NDArray xhT = xh.transpose(); NDArray xiT = xi.transpose();
                            xhT.attach(s); xiT.attach(s);
                            for (int l = 0; l < layers; l++) {
                                mm(w[l][0], xhT, s); mm(w[l][1], xhT, s); mm(w[l][2], xhT, s); mm(w[l][3], xiT, s);
                            }
                            mm(head, xhT, s);
                        }
                    });
                    run("W.matMul(x 1-D) = mv", batch, bytes, () -> {
                        try (NDManager s = m.newSubManager()) {
                            NDArray xv = xh.get(0); NDArray xiv = xi.get(0);
                            xv.attach(s); xiv.attach(s);
                            for (int l = 0; l < layers; l++) {
                                mm(w[l][0], xv, s); mm(w[l][1], xv, s); mm(w[l][2], xv, s); mm(w[l][3], xiv, s);
                            }
                            mm(head, xv, s);
                        }
                    });
                    run("conv1x1 W(out,in,1)", batch, bytes, () -> {
                        try (NDManager s = m.newSubManager()) {
                            NDArray xc = xh.expandDims(2); NDArray xic = xi.expandDims(2);
                            xc.attach(s); xic.attach(s);
                            for (int l = 0; l < layers; l++) {
                                for (int i = 0; i < 4; i++) {
                                    NDArray y = ai.djl.pytorch.jni.JniUtils.convolution((ai.djl.pytorch.engine.PtNDArray) (i == 3 ? xic : xc),
                                            (ai.djl.pytorch.engine.PtNDArray) wc[l][i], null, new Shape(1), new Shape(0), new Shape(1), 1);
                                    y.attach(s);
                                }
                            }
                        }
                    });
                    run("bmm Wt(1,in,out)", batch, bytes, () -> {
                        try (NDManager s = m.newSubManager()) {
                            NDArray xb = xh.expandDims(0); NDArray xib = xi.expandDims(0);
                            xb.attach(s); xib.attach(s);
                            for (int l = 0; l < layers; l++) {
                                for (int i = 0; i < 4; i++) {
                                    NDArray y = (i == 3 ? xib : xb).batchMatMul(wtb[l][i]);
                                    y.attach(s);
                                }
                            }
                            NDArray y = xb.batchMatMul(headT.expandDims(0)); y.attach(s);
                        }
                    });
                    run("matMul W^T view", batch, bytes, () -> {
                        try (NDManager s = m.newSubManager()) {
                            for (int l = 0; l < layers; l++) {
                                for (int i = 0; i < 4; i++) {
                                    NDArray v = w[l][i].transpose(); v.attach(s);
                                    mm(i == 3 ? xi : xh, v, s);
                                }
                            }
                            NDArray v = head.transpose(); v.attach(s);
                            mm(xh, v, s);
                        }
                    });
                }
            }
            // JNI overhead per small op
            NDArray a = m.randomNormal(new Shape(1, h));
            for (int rep = 0; rep < 3; rep++) {
                long t0 = System.nanoTime();
                int n = 20000;
                try (NDManager s = m.newSubManager()) {
                    for (int i = 0; i < n; i++) {
                        NDArray r = a.add(a); r.attach(s); r.close();
                    }
                }
                System.err.printf("small op (add 768 + attach + close): %.2f us%n", (System.nanoTime() - t0) / 1e3 / n);
            }
        }
    }

    private static void lin(NDArray x, NDArray w, NDManager s) {
        NDArray y = ai.djl.nn.core.Linear.linear(x, w).singletonOrThrow();
        y.attach(s);
    }

    private static void mm(NDArray x, NDArray w, NDManager s) {
        NDArray y = x.matMul(w);
        y.attach(s);
    }

    private static void run(String name, int batch, long bytes, Runnable r) {
        for (int i = 0; i < 3; i++) r.run();
        int n = batch == 1 ? 30 : 10;
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) r.run();
        double s = (System.nanoTime() - t0) / 1e9 / n;
        System.err.printf("B=%-2d %-22s %6.2f ms/token-step  %6.1f steps/s  %5.1f GB/s weights%n",
                batch, name, s * 1e3, 1 / s, bytes / s / 1e9);
    }
}
