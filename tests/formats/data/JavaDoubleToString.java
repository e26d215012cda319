// Oracle for modelwatch.formats.javafloat: prints "<raw bits hex>\t<Double.toString>" for ~5000 doubles
// (fixed edge cases, powers of ten and neighbours, random bit patterns, short decimals, integers,
// sums/means/sqrt like statistics.json values, subnormals). Output: java17_double_tostring.tsv
import java.util.*;
public class JavaDoubleToString {
  public static void main(String[] a) {
    Random r = new Random(20240601L);
    LinkedHashSet<Long> bits = new LinkedHashSet<>();
    double[] fixed = {0.0, -0.0, 1.0, -1.0, 231.0, 2.31, 0.1, 0.2, 0.3, 0.64, 2048.0, 1e-3, 1e-4, 1e7, 1e-5, 1.234e7,
      -2.5e-5, 9999999.0, 9999999.999999998, 10000000.0, 0.001, 0.0009999999999999998, 1e21, 1e22, 1e23, 1e300,
      Double.MIN_VALUE, Double.MAX_VALUE, Double.MIN_NORMAL, 4.9e-324, 2e-3, 5e-324, 123456789.0, 1.0E-10,
      0.8330066026148891, 0.48538644398046393, 100.0, 1e16, 1e17, 123456789012345678.0, 9007199254740993.0,
      0.009009009009009009, 2.0E-3, 3.0E-3, 1.0E-3, 0.5, 0.25, 1.5, 1e15, 1e-1, 1e-2};
    for (double d : fixed) bits.add(Double.doubleToRawLongBits(d));
    for (int e = -30; e <= 30; e++) {
      double p = Double.parseDouble("1e" + e);
      bits.add(Double.doubleToRawLongBits(p));
      bits.add(Double.doubleToRawLongBits(Math.nextUp(p)));
      bits.add(Double.doubleToRawLongBits(Math.nextDown(p)));
      bits.add(Double.doubleToRawLongBits(-p));
      bits.add(Double.doubleToRawLongBits(2 * p));
      bits.add(Double.doubleToRawLongBits(5 * p));
    }
    int n = 0;
    while (n < 1200) { long b = r.nextLong(); double d = Double.longBitsToDouble(b);
      if (Double.isNaN(d) || Double.isInfinite(d)) continue; bits.add(b); n++; }
    for (int i = 0; i < 800; i++) { // uniform in typical ranges
      double d = (r.nextDouble() - 0.3) * Math.pow(10, r.nextInt(24) - 8);
      bits.add(Double.doubleToRawLongBits(d)); }
    for (int i = 0; i < 800; i++) { // short decimals
      int digits = 1 + r.nextInt(6); long m = r.nextInt((int)Math.pow(10, digits));
      double d = Double.parseDouble(m + "e" + (r.nextInt(30) - 15));
      if (r.nextBoolean()) d = -d; bits.add(Double.doubleToRawLongBits(d)); }
    for (int i = 0; i < 400; i++) { // integers and sums
      double d = (double) (r.nextLong() >> r.nextInt(63)); bits.add(Double.doubleToRawLongBits(d)); }
    for (int i = 0; i < 400; i++) { // arithmetic results like means/std
      double s = 0; int k = 1 + r.nextInt(50); for (int j = 0; j < k; j++) s += r.nextInt(1000) / 10.0;
      bits.add(Double.doubleToRawLongBits(s)); bits.add(Double.doubleToRawLongBits(s / k));
      bits.add(Double.doubleToRawLongBits(Math.sqrt(s / k))); }
    for (int i = 0; i < 200; i++) { // subnormals
      bits.add(r.nextLong() & 0x000FFFFFFFFFFFFFL); }
    for (int k = 1; k <= 60; k++) bits.add((long) k);
    for (int k = 1; k <= 20; k++) bits.add(Double.doubleToRawLongBits(k * 1e-322));
    StringBuilder sb = new StringBuilder();
    for (long b : bits) sb.append(String.format("%016x", b)).append('\t').append(Double.toString(Double.longBitsToDouble(b))).append('\n');
    System.out.print(sb);
  }
}
