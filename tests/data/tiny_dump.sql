-- A two-database mysqldump in the layout InterCode's ic_spider_dbs.sql has (written for the tests)
CREATE DATABASE  IF NOT EXISTS `concert_singer` /*!40100 DEFAULT CHARACTER SET utf8mb4 */;
USE `concert_singer`;
/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;

DROP TABLE IF EXISTS `singer`;
CREATE TABLE `singer` (
  `Singer_ID` int NOT NULL AUTO_INCREMENT,
  `Name` text COLLATE utf8mb4_general_ci,
  `Country` varchar(255) DEFAULT NULL,
  `Age` int DEFAULT NULL,
  `Net_Worth` double DEFAULT NULL,
  PRIMARY KEY (`Singer_ID`),
  KEY `singer_name` (`Name`(20))
) ENGINE=InnoDB AUTO_INCREMENT=5 DEFAULT CHARSET=utf8mb4;

LOCK TABLES `singer` WRITE;
/*!40000 ALTER TABLE `singer` DISABLE KEYS */;
INSERT INTO `singer` VALUES (1,'Joe Sharp','Netherlands',52,30.5),(2,'Timbaland','United States',32,NULL),(3,'O\'Brien, \"Jr\"','France',41,-1e3),(4,'Tab\there\nnewline','France',25,0);
/*!40000 ALTER TABLE `singer` ENABLE KEYS */;
UNLOCK TABLES;

DROP TABLE IF EXISTS `concert`;
CREATE TABLE `concert` (
  `concert_ID` int NOT NULL,
  `Singer_ID` int NOT NULL,
  `Year` text,
  PRIMARY KEY (`concert_ID`,`Singer_ID`),
  CONSTRAINT `concert_fk` FOREIGN KEY (`Singer_ID`) REFERENCES `singer` (`Singer_ID`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

LOCK TABLES `concert` WRITE;
INSERT INTO `concert` VALUES (1,1,'2014'),(2,1,'2015'),(3,3,'2014');
UNLOCK TABLES;

CREATE DATABASE  IF NOT EXISTS `empty_one` /*!40100 DEFAULT CHARACTER SET utf8mb4 */;
USE `empty_one`;
DROP TABLE IF EXISTS `players`;
CREATE TABLE `players` (
  `player_id` int NOT NULL,
  `first_name` text,
  PRIMARY KEY (`player_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
