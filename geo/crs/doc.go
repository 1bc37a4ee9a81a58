// Package crs converts points between the coordinate systems Chinese map
// apps use and WGS-84, the storage system.
//
// GCJ-02 ("Mars coordinates", used by Gaode/Amap, Tencent and Google China)
// is WGS-84 plus a deliberately obfuscating, non-linear offset of up to a
// few hundred metres inside China. BD-09 (Baidu) is a further rotation and
// scaling of GCJ-02. Both offsets follow the published formulas (Krasovsky
// ellipsoid a=6378245.0, ee=0.00669342162296594323; BD-09 x_pi=π·3000/180).
//
// CGCS2000 (China's official geodetic datum) and WGS-84 differ by a few
// centimetres, far below the metre scale of grid management, so this package
// treats CGCS2000 as identical to WGS-84 (EPSG:4326).
//
// Points are orb.Point values in (longitude, latitude) order.
package crs
