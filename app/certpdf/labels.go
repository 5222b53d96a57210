package certpdf

// Labels holds every fixed word printed on a certificate, so the caller
// decides the PDF's language (the certificate data itself is passed as is).
type Labels struct {
	Lang        string // PDF /Lang, e.g. "vi" or "en" (screen readers, search)
	Title       string // big heading
	PresentedTo string // line above the holder's name
	Completed   string // line between the name and the course title
	Certifies   string // prefix of Certificate.Certifies
	Score       string
	IssuedOn    string
	Code        string
	Place       string // only printed when Certificate.Place is set
	Issuer      string
	Practice    string // only printed when Certificate.Practice is set
	ScanToCheck string // caption above the QR code
	Revoked     string // big diagonal mark on revoked certificates
	RevokedNote string // sentence in the red banner on revoked certificates
	DateLayout  string // Go time layout for IssuedAt
}

// LabelsVI returns the Vietnamese labels (dates as dd/mm/yyyy).
func LabelsVI() Labels {
	return Labels{
		Lang:        "vi",
		Title:       "CHỨNG NHẬN",
		PresentedTo: "Cấp cho",
		Completed:   "Đã hoàn thành khóa học",
		Certifies:   "Năng lực đạt được",
		Score:       "Điểm",
		IssuedOn:    "Ngày cấp",
		Code:        "Mã chứng nhận",
		Place:       "Nơi học",
		Issuer:      "Đơn vị cấp",
		Practice:    "Thực hành",
		ScanToCheck: "Quét mã QR để kiểm tra",
		// Bilingual on purpose: the mark must be understood by whoever
		// is handed the paper, whatever language it was printed in.
		Revoked:     "ĐÃ THU HỒI / REVOKED",
		RevokedNote: "Chứng nhận này đã bị thu hồi và không còn giá trị.",
		DateLayout:  "02/01/2006",
	}
}

// LabelsEN returns the English labels (dates as "2 January 2006", which
// cannot be misread as day/month or month/day).
func LabelsEN() Labels {
	return Labels{
		Lang:        "en",
		Title:       "CERTIFICATE",
		PresentedTo: "This is to certify that",
		Completed:   "has successfully completed the course",
		Certifies:   "Skills demonstrated",
		Score:       "Score",
		IssuedOn:    "Date of issue",
		Code:        "Certificate ID",
		Place:       "Place of study",
		Issuer:      "Issued by",
		Practice:    "Practice",
		ScanToCheck: "Scan the QR code to verify",
		Revoked:     "REVOKED / ĐÃ THU HỒI",
		RevokedNote: "This certificate has been revoked and is no longer valid.",
		DateLayout:  "2 January 2006",
	}
}
