package dev.leeway.support;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** Rows of a feature vector {@code f} and a label {@code y}, for the tests of model fitting. */
public final class VectorRows {
  private VectorRows() {}

  public static Dataset<Row> of(double[][] x, double[] y) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < x.length; i++) {
      rows.add(RowFactory.create(Vectors.dense(x[i]), y[i]));
    }
    StructType s = new StructType().add("f", SQLDataTypes.VectorType()).add("y", DataTypes.DoubleType);
    return TestSpark.session().createDataFrame(rows, s);
  }
}
