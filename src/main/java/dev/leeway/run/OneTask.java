package dev.leeway.run;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;

/**
 * Runs a fit on every row of a data set in one Spark task and brings only its result to the driver. On a few
 * hundred thousand rows one task beats an iterative algorithm that runs one Spark job per step: the rows are read
 * once, and the per-job cost (scheduling, closure cleaning, serialisation) is paid once instead of per iteration.
 */
public final class OneTask {
  private OneTask() {}

  /** A fit of a task's rows; the result travels to the driver serialised, so keep it small. */
  @FunctionalInterface
  public interface Fit<T extends Serializable> extends Serializable {
    T apply(Iterator<Row> rows) throws Exception;
  }

  /** The result of {@code fit} on all of {@code rows}, in one task. */
  public static <T extends Serializable> T run(Dataset<Row> rows, Fit<T> fit) {
    List<byte[]> out = rows.coalesce(1).mapPartitions(
        (MapPartitionsFunction<Row, byte[]>) it -> List.of(serialize(fit.apply(it))).iterator(),
        Encoders.BINARY()).collectAsList();
    if (out.isEmpty()) {
      throw new IllegalArgumentException("no rows to fit a model on");
    }
    @SuppressWarnings("unchecked")
    T result = (T) deserialize(out.get(0));
    return result;
  }

  private static byte[] serialize(Serializable o) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(o);
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
    return bytes.toByteArray();
  }

  private static Object deserialize(byte[] b) {
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(b))) {
      return in.readObject();
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    } catch (ClassNotFoundException ex) {
      throw new IllegalStateException(ex);
    }
  }
}
