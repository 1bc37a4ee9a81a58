// Package shapefile reads and writes ESRI Shapefiles of polygons: the .shp
// geometry, the .shx index and the .dbf attribute table (dBase III), with
// the .cpg code page (UTF-8 or GBK, as Chinese survey offices deliver them).
//
// Only what grid layers need: Polygon (type 5; PolygonZ/PolygonM are read as
// 2D) and Null shapes. Rings are classified by orientation as the format
// defines (clockwise outer rings, counter-clockwise holes); a hole that no
// outer ring contains is kept as an outer ring rather than dropped. Polygons
// are returned with RFC 7946 orientation (counter-clockwise shells).
// Attributes are text as stored in the DBF (numbers trimmed of padding).
package shapefile
